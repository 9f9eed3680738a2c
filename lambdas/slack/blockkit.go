package slack

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	slackgo "github.com/slack-go/slack"
)

// Block Kit's published limits on a message (docs.slack.dev, Block Kit reference):
//
//   - blocks/: "up to 50 blocks in each message"
//   - blocks/section-block: text 1–3000 characters, fields at most 10 of at most 2000,
//     block_id at most 255
//   - blocks/context-block: at most 10 elements
//   - blocks/header-block: plain_text of at most 150 characters
//   - composition-objects/text-object: type plain_text or mrkdwn, text 1–3000 characters,
//     emoji only with plain_text, verbatim only with mrkdwn
//   - block-elements/button-element: plain_text of at most 75 characters, action_id at
//     most 255, value at most 2000, url at most 3000
//   - changelog 2018-04 "Truncating really long messages": the top-level text field takes
//     at most 40,000 characters — on every way of posting, response URLs included.
//
// Slack says "characters" and never which; Chars counts the conservative way.
const (
	maxBlocks          = 50
	maxTextObject      = 3000 // any text object, so a section's text and a context element
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxContextElements = 10
	maxHeaderText      = 150
	maxButtonText      = 75
	maxBlockID         = 255
	maxActionID        = 255
	maxButtonValue     = 2000
	maxButtonURL       = 3000
	maxMessageText     = 40000
)

// Chars counts s as Slack's character limits are counted, or more: in UTF-16 code units.
// That is one per character of the Basic Multilingual Plane (ASCII, Hangul, …) and two
// per character beyond it (most emoji), so it is never less than the number of Unicode
// code points, whichever of the two Slack counts. A byte that is not UTF-8 counts one: JSON
// encoding turns it into U+FFFD.
func Chars(s string) int {
	n := 0
	for _, r := range s {
		n += runeChars(r)
	}
	return n
}

func runeChars(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}

// Validate reports the first way msg breaks a Block Kit limit that applies to the
// messages orderbot sends, naming the block by its index in the blocks array (as Slack's
// own errors do, /blocks/3) and the limit: "block 3: section text has 3012 characters,
// limit 3000". Block types orderbot does not send are reported as unchecked rather than
// passed: a new kind of reply has to teach Validate its limits first.
func Validate(msg *slackgo.Msg) error {
	if msg == nil {
		return errors.New("no message")
	}
	if n := Chars(msg.Text); n > maxMessageText {
		return fmt.Errorf("message text has %d characters, limit %d", n, maxMessageText)
	}
	blocks := msg.Blocks.BlockSet
	if len(blocks) == 0 && strings.TrimSpace(msg.Text) == "" {
		return errors.New("message has neither text nor blocks")
	}
	if len(blocks) > maxBlocks {
		return fmt.Errorf("message has %d blocks, limit %d", len(blocks), maxBlocks)
	}
	for i, b := range blocks {
		if err := validateBlock(b); err != nil {
			return fmt.Errorf("block %d: %w", i, err)
		}
	}
	return nil
}

func validateBlock(b slackgo.Block) error {
	switch x := b.(type) {
	case *slackgo.SectionBlock:
		if x == nil {
			return errors.New("nil section")
		}
		return validateSection(*x)
	case slackgo.SectionBlock:
		return validateSection(x)
	case *slackgo.ContextBlock:
		if x == nil {
			return errors.New("nil context")
		}
		return validateContext(*x)
	case slackgo.ContextBlock:
		return validateContext(x)
	case *slackgo.HeaderBlock:
		if x == nil {
			return errors.New("nil header")
		}
		return validateHeader(*x)
	case slackgo.HeaderBlock:
		return validateHeader(x)
	case *slackgo.DividerBlock:
		if x == nil {
			return errors.New("nil divider")
		}
		return validateBlockID("divider", x.Type, slackgo.MBTDivider, x.BlockID)
	case slackgo.DividerBlock:
		return validateBlockID("divider", x.Type, slackgo.MBTDivider, x.BlockID)
	case nil:
		return errors.New("nil block")
	default:
		return fmt.Errorf("block type %q (%T) is not checked by Validate", b.BlockType(), b)
	}
}

func validateBlockID(kind string, got, want slackgo.MessageBlockType, id string) error {
	if got != want {
		return fmt.Errorf("%s has type %q, want %q", kind, got, want)
	}
	if n := Chars(id); n > maxBlockID {
		return fmt.Errorf("%s block_id has %d characters, limit %d", kind, n, maxBlockID)
	}
	return nil
}

func validateSection(s slackgo.SectionBlock) error {
	if err := validateBlockID("section", s.Type, slackgo.MBTSection, s.BlockID); err != nil {
		return err
	}
	if s.Text == nil && len(s.Fields) == 0 {
		return errors.New("section has neither text nor fields")
	}
	if s.Text != nil {
		if err := validateText("section text", s.Text, maxTextObject, false); err != nil {
			return err
		}
	}
	if len(s.Fields) > maxSectionFields {
		return fmt.Errorf("section has %d fields, limit %d", len(s.Fields), maxSectionFields)
	}
	for i, f := range s.Fields {
		if err := validateText(fmt.Sprintf("section field %d", i), f, maxFieldText, false); err != nil {
			return err
		}
	}
	if s.Accessory != nil {
		a := s.Accessory
		if a.ButtonElement == nil || a.ImageElement != nil || a.SelectElement != nil || a.OverflowElement != nil ||
			a.DatePickerElement != nil || a.TimePickerElement != nil || a.PlainTextInputElement != nil ||
			a.RichTextInputElement != nil || a.RadioButtonsElement != nil || a.CheckboxGroupsBlockElement != nil || a.WorkflowButtonElement != nil ||
			a.MultiSelectElement != nil || a.UnknownElement != nil {
			return errors.New("section accessory other than a button is not checked by Validate")
		}
		if err := validateButton("section accessory", a.ButtonElement); err != nil {
			return err
		}
	}
	return nil
}

func validateContext(c slackgo.ContextBlock) error {
	if err := validateBlockID("context", c.Type, slackgo.MBTContext, c.BlockID); err != nil {
		return err
	}
	els := c.ContextElements.Elements
	if len(els) == 0 {
		return errors.New("context has no elements")
	}
	if len(els) > maxContextElements {
		return fmt.Errorf("context has %d elements, limit %d", len(els), maxContextElements)
	}
	for i, el := range els {
		var t *slackgo.TextBlockObject
		switch x := el.(type) {
		case *slackgo.TextBlockObject:
			t = x
		case slackgo.TextBlockObject:
			t = &x
		default:
			return fmt.Errorf("context element %d (%T) is not checked by Validate", i, el)
		}
		if err := validateText(fmt.Sprintf("context element %d", i), t, maxTextObject, false); err != nil {
			return err
		}
	}
	return nil
}

func validateHeader(h slackgo.HeaderBlock) error {
	if err := validateBlockID("header", h.Type, slackgo.MBTHeader, h.BlockID); err != nil {
		return err
	}
	return validateText("header text", h.Text, maxHeaderText, true)
}

func validateButton(what string, b *slackgo.ButtonBlockElement) error {
	if b.Type != slackgo.METButton {
		return fmt.Errorf("%s has type %q, want %q", what, b.Type, slackgo.METButton)
	}
	if err := validateText(what+" text", b.Text, maxButtonText, true); err != nil {
		return err
	}
	for _, f := range []struct {
		name  string
		value string
		limit int
	}{{"action_id", b.ActionID, maxActionID}, {"value", b.Value, maxButtonValue}, {"url", b.URL, maxButtonURL}} {
		if n := Chars(f.value); n > f.limit {
			return fmt.Errorf("%s %s has %d characters, limit %d", what, f.name, n, f.limit)
		}
	}
	return nil
}

// validateText checks a text object: its type, that it is not empty, its length, and the
// flags that only one of the two types takes.
func validateText(what string, t *slackgo.TextBlockObject, limit int, plainOnly bool) error {
	if t == nil {
		return fmt.Errorf("%s is missing", what)
	}
	switch t.Type {
	case slackgo.PlainTextType:
		if t.Verbatim {
			return fmt.Errorf("%s: verbatim is only for mrkdwn", what)
		}
	case slackgo.MarkdownType:
		if plainOnly {
			return fmt.Errorf("%s must be plain_text, not mrkdwn", what)
		}
		if t.Emoji != nil {
			return fmt.Errorf("%s: emoji is only for plain_text", what)
		}
	default:
		return fmt.Errorf("%s has type %q, want plain_text or mrkdwn", what, t.Type)
	}
	if t.Text == "" {
		return fmt.Errorf("%s is empty, minimum 1 character", what)
	}
	if n := Chars(t.Text); n > limit {
		return fmt.Errorf("%s has %d characters, limit %d", what, n, limit)
	}
	return nil
}

// ellipsis marks text cut to fit a limit; it is one character.
const ellipsis = "…"

// clip returns s when it has at most max characters (see Chars); otherwise the longest
// prefix that, with "…" appended, does. It never cuts inside an entity (&amp;) or an
// angle-bracket token (<@U123>), so escaped text stays escaped and a mention stays whole,
// nor between a character and a mark, variation selector or joiner that belongs to it.
func clip(s string, max int) string {
	if Chars(s) <= max {
		return s
	}
	if max < Chars(ellipsis) {
		return ""
	}
	budget := max - Chars(ellipsis)
	n, cut := 0, 0
	inEntity, inAngle, afterJoiner := false, false, false
	for i, r := range s {
		if !inEntity && !inAngle && !afterJoiner && !joinsPrevious(r) {
			cut = i
		}
		if n += runeChars(r); n > budget {
			break
		}
		switch r {
		case '&':
			inEntity = true
		case ';':
			inEntity = false
		case '<':
			inAngle = true
		case '>':
			inAngle = false
		}
		afterJoiner = r == '\u200d'
	}
	return strings.TrimRight(s[:cut], " ,\n") + ellipsis
}

// joinsPrevious reports whether r belongs to the character before it: a combining mark,
// a variation selector (☕️), a zero-width joiner (👩‍💻), an emoji skin tone.
func joinsPrevious(r rune) bool {
	return unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Mc, r) ||
		r == '\u200d' || (r >= '\ufe00' && r <= '\ufe0f') || (r >= 0x1F3FB && r <= 0x1F3FF) ||
		(r >= 0xE0020 && r <= 0xE007F) // tag characters of flag sequences
}
