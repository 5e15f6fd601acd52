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
	// compared with the number), as written.
	Signal string
}
