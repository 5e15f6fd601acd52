// Package delivery turns the tuner's proposals into a pull request: it
// reads the JSON of `omen tune`, applies each proposal to its rule file
// with the tuner's minimal editor (only the changed values' bytes
// differ), checks the edited files (read back, `promtool check rules`),
// and hands the bytes to gitops for one branch, one commit and one pull
// request whose body carries the evidence.
//
// # Idempotency
//
// The branch is omen/rules-<hash> of which rules (file, group, alert, the
// labels picking it) and which fields change, not of the values: when only
// the values move, the same branch and the same pull request are updated.
// The commit is compared with what the branch holds (tree, parent, message)
// and pushed only when it differs; the pull request's title and body are
// compared with the forge's and edited only when they differ; a comment
// says what changed (values, pages per week, incidents caught, rules added
// or dropped) whenever the recorded proposals differ from the new ones. The
// same proposals run twice make no commit, no push, no edit and no comment.
//
// The body ends with a hidden block of state (an HTML comment holding
// JSON: each proposal's rule, new values and evidence), which later runs
// read back to say what changed and to remember rejections.
//
// # Rejections
//
// A pull request closed without merging rejects its proposals: a later run
// leaves out a proposal for the same rule unless it differs materially from
// the rejected one (the most recently closed), that is, when it changes
// other fields; when a new value is more than 10% away from the rejected
// one (relative to the larger; any change of a label value); when other
// incidents are caught after the change, or it names an incident the
// rejected one did not; or when pages per week after the change moved by
// more than 25% and by at least 0.5 a week. A pull request omen itself
// closed as superseded is no rejection. Options.IgnoreClosed proposes
// everything regardless.
//
// # Limits and failures
//
// At most Options.MaxOpen of omen's pull requests are open in a
// repository: a new one beyond it is refused before anything is pushed; a
// new pull request for rules an open one already changes supersedes it
// (omen closes the old one with a comment). Every step that changes the
// remote or the forge registers its undo: when the forge fails after the
// push, the branch is deleted (or moved back) and an edited body restored,
// so nothing is left half-applied; the temporary clone is always removed.
//
// File and Proposal read the JSON the tuner writes today; when
// tuner.Proposal lands, it is to be the one type.
package delivery
