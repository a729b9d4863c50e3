// Project page (placeholder until built).
export default function Project(_: { params: Record<string, string> }) {
  return <h1 class="utrecht-heading-1">Project</h1>;
}
