// PasswordReset page (placeholder until built).
export default function PasswordReset(_: { params: Record<string, string> }) {
  return <h1 class="utrecht-heading-1">PasswordReset</h1>;
}
