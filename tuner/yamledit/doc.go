// Package yamledit edits YAML files in place, changing only the bytes of
// the values it is asked to change.
//
// A [File] is a YAML stream (one or several documents) parsed with
// gopkg.in/yaml.v3 for its structure while its original bytes are kept.
// Edits are queued on the parsed nodes — replace a scalar, replace a span
// inside a scalar's value, insert a key into a block mapping — and
// [File.Bytes] splices them into the original bytes: comments, key order,
// quoting, indentation, block scalars, CRLF line endings and a byte order
// mark stay as they were. Every result is parsed again and compared with
// the original tree: the document must be the same except for the edited
// values, or Bytes refuses with an error instead of returning a file that
// differs in more than it was asked to.
//
// What cannot be edited exactly is refused: a node carrying an anchor or
// reached through an alias (an edit would change every place the anchor is
// used), a mapping with a merge key, a span of a scalar's value that does
// not map byte for byte onto the file (an escape sequence in a
// double-quoted scalar, a line folded in a `>` block scalar), insertion into
// a flow mapping.
//
// [WriteFile] writes a file atomically (a temporary file in the same
// directory renamed over the original), keeping the original's mode.
//
// The package depends only on the standard library and gopkg.in/yaml.v3.
package yamledit
