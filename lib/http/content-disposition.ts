/**
 * `inline;filename="NAME"`, with an RFC 5987 `filename*` when the name is not plain ASCII.
 *
 * Hand-written rather than the content-disposition package (1.0.1, koa's): for the names the
 * records tests assert it answers differently. It separates parameters with `"; "` where Spool has
 * always sent `;` (`inline; filename="cam.mp4"`), keeps Latin-1 letters in the quoted fallback and
 * then sends no `filename*` (`é"(1).mp4` gives `inline; filename="é\"(1).mp4"`, non-ASCII bytes in a
 * header), and turns other letters into `?` where Spool writes `_`.
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  if (/^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name)) return `${kind};filename="${name}"`;
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  // RFC 5987 attr-char excludes ' ( ) *, which encodeURIComponent leaves as they are.
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind};filename="${fallback}";filename*=UTF-8''${encoded}`;
}
