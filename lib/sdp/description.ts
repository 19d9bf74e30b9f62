/**
 * SDP text ⇄ objects, through sdp-transform (npm), for every plugin that reads or edits SDP.
 * sdp-transform turns any value that reads as a number into a number (`a=control:1` gives 1, a
 * single payload type makes `payloads` a number); the readers in this folder give strings back.
 */
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';

export type { MediaDescription, SessionDescription };

/**
 * Lines are trimmed first: sdp-transform keeps trailing blanks in values (a control URL with a
 * space at its end), and skips a line with leading blanks as if it were not there.
 */
export function parseSessionDescription(text: string): SessionDescription {
  return parse(
    text
      .split(/\r\n|\r|\n/)
      .map((line) => line.trim())
      .join('\r\n'),
  );
}

/**
 * The description as SDP text, CRLF line ends. sdp-transform writes the lines in its own order (not
 * the original one), and a line its grammar reads only in part comes out as far as it read it.
 */
export function writeSessionDescription(description: SessionDescription): string {
  return write(description);
}

/** The a=control attribute of the session or of one media section, as written. */
export function controlOf(
  section: Pick<SessionDescription | MediaDescription, 'control'>,
): string | undefined {
  return section.control === undefined ? undefined : String(section.control);
}
