package tuner

// Threshold is the plain number on one side of a rule expression's
// outermost comparison, located exactly in the expression's text so that
// an edit changes only its bytes.
type Threshold struct {
	// Value is the number.
	Value float64
	// Text is the number as written in the expression.
	Text string
	// Op is the comparison as written: ">", ">=", "<", "<=", "==" or "!=".
	Op string
	// Left reports whether the number is the comparison's left operand
	// (`0.9 < expr`); the usual `expr > 0.9` has it on the right.
	Left bool
	// Offset is the byte offset of Text in the rule's Expr.
	Offset int
	// Signal is the text of the comparison's other operand (the expression
	// compared with the number), as written, and SignalOffset its byte
	// offset in Expr.
	Signal       string
	SignalOffset int
	// Outermost reports whether the comparison is the whole expression
	// (brackets around it aside). It is false when the comparison is the
	// left operand of a top-level and, or, unless, whose other operands
	// still filter the comparison's result.
	Outermost bool
	// FileOffset is the byte offset of Text in the rule's file and
	// FileLine its 1-based line; both are -1 when the editor cannot change
	// the number in place, and NotEditable then says why (the number's
	// bytes in the file are not Text byte for byte because an escape
	// sequence or a folded line lies in them, or the expression sits under
	// a YAML anchor or alias).
	FileOffset  int
	FileLine    int
	NotEditable string
}
