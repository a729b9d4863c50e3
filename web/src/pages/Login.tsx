// Login page (placeholder until built).
export default function Login(_: { params: Record<string, string> }) {
  return <h1 class="utrecht-heading-1">Login</h1>;
}
