// Invitation page (placeholder until built).
export default function Invitation(_: { params: Record<string, string> }) {
  return <h1 class="utrecht-heading-1">Invitation</h1>;
}
