// TRIGGERS: placeholder. Triggers are being built in their own branch (their API is not part of
// this console yet); when it lands, this page lists and edits a registry's triggers and the
// registry page's "Triggers" tab already leads here.
export function Triggers() {
  return (
    <p class="muted" data-testid="triggers-placeholder">
      Triggers are not available in this version of the console yet.
    </p>
  );
}
