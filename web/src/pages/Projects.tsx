// Projects page (placeholder until built).
export default function Projects(_: { params: Record<string, string> }) {
  return <h1 class="utrecht-heading-1">Projects</h1>;
}
