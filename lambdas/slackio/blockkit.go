package slackio

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/slack-go/slack"
)

// Block Kit's published limits on a message (docs.slack.dev, Block Kit reference):
//
//   - blocks/: "up to 50 blocks in each message"
//   - blocks/section-block: text 1–3000 characters, fields at most 10 of at most 2000,
//     block_id at most 255
//   - blocks/context-block: at most 10 elements
//   - blocks/header-block: plain_text of at most 150 characters
//   - blocks/actions-block: "There is a maximum of 25 elements in each action block",
//     block_id at most 255, "block_id should be unique for each message"
//   - composition-objects/text-object: type plain_text or mrkdwn, text 1–3000 characters,
//     emoji only with plain_text, verbatim only with mrkdwn
//   - block-elements/button-element: plain_text of at most 75 characters, action_id at
//     most 255 and "unique among all other action_ids in the containing block", value at
//     most 2000, url at most 3000, style primary or danger (or none)
//   - composition-objects/confirmation-dialog-object: title, text, confirm and deny, each
//     a plain_text text object (all four required) of at most 100, 300, 30 and 30
//     characters; style primary or danger
//   - changelog 2018-04 "Truncating really long messages": the top-level text field takes
//     at most 40,000 characters — on every way of posting, response URLs included.
//
// orderbot keeps action_ids unique within the whole message, not only within a block,
// and block_ids unique whenever set: stricter than Slack asks, so it holds whichever way
// Slack enforces it.
//
// And on a modal (ValidateView):
//
//   - views/modal-views: type modal; title a plain_text of at most 24 characters;
//     close and submit plain_text of at most 24 ("submit is required when an input block
//     is within the blocks array"); "Max of 100 blocks"; private_metadata at most 3000
//     characters; callback_id at most 255
//   - blocks/input-block: label plain_text of at most 2000 characters, hint plain_text
//     of at most 2000, block_id at most 255, "unique for each message or view" (orderbot
//     requires input blocks to set one: view_submission's state is keyed by it)
//   - block-elements/select-menu-element (static_select): "Maximum number of options is
//     100", placeholder plain_text of at most 150, action_id at most 255
//   - composition-objects/option-object: text of at most 75 characters ("select, and
//     multi-select menus can only use plain_text"), value "A unique string value" of at
//     most 150 characters
//   - block-elements/plain-text-input-element: max_length 1–3000, min_length 0–3000,
//     action_id at most 255; placeholder plain_text of at most 150 (@slack/types
//     Placeholdable)
//
// Slack says "characters" and never which; Chars counts the conservative way.
const (
	MaxBlocks          = 50
	MaxTextObject      = 3000 // any text object, so a section's text and a context element
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxContextElements = 10
	maxHeaderText      = 150
	maxActionsElements = 25
	maxButtonText      = 75
	maxBlockID         = 255
	maxActionID        = 255
	MaxButtonValue     = 2000
	maxButtonURL       = 3000
	maxConfirmTitle    = 100
	maxConfirmText     = 300
	maxConfirmButton   = 30 // confirm and deny
	MaxMessageText     = 40000

	maxViewBlocks      = 100
	maxViewTitle       = 24 // title, close and submit
	MaxPrivateMetadata = 3000
	maxCallbackID      = 255
	maxInputLabel      = 2000 // label and hint
	MaxOptions         = 100
	MaxOptionText      = 75
	MaxOptionValue     = 150
	maxPlaceholder     = 150
	maxInputLength     = 3000 // plain_text_input max_length and min_length
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
func Validate(msg *slack.Msg) error {
	if msg == nil {
		return errors.New("no message")
	}
	if n := Chars(msg.Text); n > MaxMessageText {
		return fmt.Errorf("message text has %d characters, limit %d", n, MaxMessageText)
	}
	blocks := msg.Blocks.BlockSet
	if len(blocks) == 0 && strings.TrimSpace(msg.Text) == "" {
		return errors.New("message has neither text nor blocks")
	}
	if len(blocks) > MaxBlocks {
		return fmt.Errorf("message has %d blocks, limit %d", len(blocks), MaxBlocks)
	}
	for i, b := range blocks {
		if err := validateBlock(b); err != nil {
			return fmt.Errorf("block %d: %w", i, err)
		}
	}
	return checkIDs(blocks)
}

func validateBlock(b slack.Block) error {
	switch x := b.(type) {
	case *slack.SectionBlock:
		if x == nil {
			return errors.New("nil section")
		}
		return validateSection(*x)
	case slack.SectionBlock:
		return validateSection(x)
	case *slack.ContextBlock:
		if x == nil {
			return errors.New("nil context")
		}
		return validateContext(*x)
	case slack.ContextBlock:
		return validateContext(x)
	case *slack.HeaderBlock:
		if x == nil {
			return errors.New("nil header")
		}
		return validateHeader(*x)
	case slack.HeaderBlock:
		return validateHeader(x)
	case *slack.DividerBlock:
		if x == nil {
			return errors.New("nil divider")
		}
		return validateBlockID("divider", x.Type, slack.MBTDivider, x.BlockID)
	case slack.DividerBlock:
		return validateBlockID("divider", x.Type, slack.MBTDivider, x.BlockID)
	case *slack.ActionBlock:
		if x == nil {
			return errors.New("nil actions")
		}
		return validateActions(*x)
	case slack.ActionBlock:
		return validateActions(x)
	case nil:
		return errors.New("nil block")
	default:
		return fmt.Errorf("block type %q (%T) is not checked by Validate", b.BlockType(), b)
	}
}

func validateBlockID(kind string, got, want slack.MessageBlockType, id string) error {
	if got != want {
		return fmt.Errorf("%s has type %q, want %q", kind, got, want)
	}
	if n := Chars(id); n > maxBlockID {
		return fmt.Errorf("%s block_id has %d characters, limit %d", kind, n, maxBlockID)
	}
	return nil
}

func validateSection(s slack.SectionBlock) error {
	if err := validateBlockID("section", s.Type, slack.MBTSection, s.BlockID); err != nil {
		return err
	}
	if s.Text == nil && len(s.Fields) == 0 {
		return errors.New("section has neither text nor fields")
	}
	if s.Text != nil {
		if err := validateText("section text", s.Text, MaxTextObject, false); err != nil {
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

func validateContext(c slack.ContextBlock) error {
	if err := validateBlockID("context", c.Type, slack.MBTContext, c.BlockID); err != nil {
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
		var t *slack.TextBlockObject
		switch x := el.(type) {
		case *slack.TextBlockObject:
			t = x
		case slack.TextBlockObject:
			t = &x
		default:
			return fmt.Errorf("context element %d (%T) is not checked by Validate", i, el)
		}
		if err := validateText(fmt.Sprintf("context element %d", i), t, MaxTextObject, false); err != nil {
			return err
		}
	}
	return nil
}

func validateHeader(h slack.HeaderBlock) error {
	if err := validateBlockID("header", h.Type, slack.MBTHeader, h.BlockID); err != nil {
		return err
	}
	return validateText("header text", h.Text, maxHeaderText, true)
}

func validateActions(a slack.ActionBlock) error {
	if err := validateBlockID("actions", a.Type, slack.MBTAction, a.BlockID); err != nil {
		return err
	}
	if a.Elements == nil || len(a.Elements.ElementSet) == 0 {
		return errors.New("actions has no elements")
	}
	els := a.Elements.ElementSet
	if len(els) > maxActionsElements {
		return fmt.Errorf("actions has %d elements, limit %d", len(els), maxActionsElements)
	}
	for i, el := range els {
		b, ok := el.(*slack.ButtonBlockElement)
		if !ok || b == nil {
			return fmt.Errorf("actions element %d (%T) is not checked by Validate", i, el)
		}
		if err := validateButton(fmt.Sprintf("actions element %d", i), b); err != nil {
			return err
		}
	}
	return nil
}

func validateButton(what string, b *slack.ButtonBlockElement) error {
	if b.Type != slack.METButton {
		return fmt.Errorf("%s has type %q, want %q", what, b.Type, slack.METButton)
	}
	if err := validateText(what+" text", b.Text, maxButtonText, true); err != nil {
		return err
	}
	for _, f := range []struct {
		name  string
		value string
		limit int
	}{{"action_id", b.ActionID, maxActionID}, {"value", b.Value, MaxButtonValue}, {"url", b.URL, maxButtonURL}} {
		if n := Chars(f.value); n > f.limit {
			return fmt.Errorf("%s %s has %d characters, limit %d", what, f.name, n, f.limit)
		}
	}
	if err := validateStyle(what+" style", b.Style); err != nil {
		return err
	}
	if b.Confirm != nil {
		return validateConfirm(what+" confirm", b.Confirm)
	}
	return nil
}

func validateStyle(what string, s slack.Style) error {
	switch s {
	case slack.StyleDefault, slack.StylePrimary, slack.StyleDanger:
		return nil
	}
	return fmt.Errorf("%s is %q, want primary, danger or none", what, s)
}

// validateConfirm checks a confirmation dialog: four plain_text objects and a style.
func validateConfirm(what string, c *slack.ConfirmationBlockObject) error {
	for _, f := range []struct {
		name  string
		text  *slack.TextBlockObject
		limit int
	}{{"title", c.Title, maxConfirmTitle}, {"text", c.Text, maxConfirmText}, {"confirm", c.Confirm, maxConfirmButton}, {"deny", c.Deny, maxConfirmButton}} {
		if err := validateText(what+" "+f.name, f.text, f.limit, true); err != nil {
			return err
		}
	}
	return validateStyle(what+" style", c.Style)
}

// checkIDs reports a block_id or an action_id used twice in blocks (unset ones aside).
func checkIDs(blocks []slack.Block) error {
	blockIDs, actionIDs := map[string]int{}, map[string]int{}
	for i, b := range blocks {
		if id := b.ID(); id != "" {
			if j, dup := blockIDs[id]; dup {
				return fmt.Errorf("block %d: block_id %q is also block %d's", i, Clip(id, 80), j)
			}
			blockIDs[id] = i
		}
		for _, id := range actionIDsOf(b) {
			if id == "" {
				continue
			}
			if j, dup := actionIDs[id]; dup {
				return fmt.Errorf("block %d: action_id %q is also used in block %d", i, Clip(id, 80), j)
			}
			actionIDs[id] = i
		}
	}
	return nil
}

// actionIDsOf lists the action_ids of the interactive elements of a block Validate or
// ValidateView accepts.
func actionIDsOf(b slack.Block) []string {
	var ids []string
	switch x := b.(type) {
	case slack.SectionBlock:
		return actionIDsOf(&x)
	case slack.ActionBlock:
		return actionIDsOf(&x)
	case slack.InputBlock:
		return actionIDsOf(&x)
	case *slack.SectionBlock:
		if x.Accessory != nil && x.Accessory.ButtonElement != nil {
			ids = append(ids, x.Accessory.ButtonElement.ActionID)
		}
	case *slack.ActionBlock:
		if x.Elements != nil {
			for _, el := range x.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok {
					ids = append(ids, btn.ActionID)
				}
			}
		}
	case *slack.InputBlock:
		switch el := x.Element.(type) {
		case *slack.SelectBlockElement:
			ids = append(ids, el.ActionID)
		case *slack.PlainTextInputBlockElement:
			ids = append(ids, el.ActionID)
		}
	}
	return ids
}

// ValidateView reports the first way a modal breaks a limit of Slack's (see the top of
// this file), like Validate: "block 1: input label has 2001 characters, limit 2000". It
// knows the blocks Validate knows and input blocks holding a static_select or a
// plain_text_input; anything else is reported as unchecked.
func ValidateView(v slack.ModalViewRequest) error {
	if v.Type != slack.VTModal {
		return fmt.Errorf("view has type %q, want %q", v.Type, slack.VTModal)
	}
	if err := validateText("view title", v.Title, maxViewTitle, true); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		text *slack.TextBlockObject
	}{{"view close", v.Close}, {"view submit", v.Submit}} {
		if f.text != nil {
			if err := validateText(f.name, f.text, maxViewTitle, true); err != nil {
				return err
			}
		}
	}
	blocks := v.Blocks.BlockSet
	if err := checkViewFields(v.PrivateMetadata, v.CallbackID, blocks); err != nil {
		return err
	}
	inputs := 0
	for i, b := range blocks {
		in, isInput := b.(*slack.InputBlock)
		var err error
		switch {
		case isInput && in == nil:
			err = errors.New("nil input")
		case isInput:
			inputs++
			err = validateInput(*in)
		default:
			err = validateBlock(b)
		}
		if err != nil {
			return fmt.Errorf("block %d: %w", i, err)
		}
	}
	if inputs > 0 && v.Submit == nil {
		return errors.New("view has input blocks but no submit")
	}
	return checkIDs(blocks)
}

// checkViewFields checks what every view — a modal or a Home tab — shares (both pages on
// docs.slack.dev/reference/views: private_metadata at most 3000 characters, callback_id
// at most 255, at most 100 blocks) and that it has blocks at all.
func checkViewFields(privateMetadata, callbackID string, blocks []slack.Block) error {
	for _, f := range []struct {
		name  string
		value string
		limit int
	}{{"private_metadata", privateMetadata, MaxPrivateMetadata}, {"callback_id", callbackID, maxCallbackID}} {
		if n := Chars(f.value); n > f.limit {
			return fmt.Errorf("view %s has %d characters, limit %d", f.name, n, f.limit)
		}
	}
	if len(blocks) == 0 {
		return errors.New("view has no blocks")
	}
	if len(blocks) > maxViewBlocks {
		return fmt.Errorf("view has %d blocks, limit %d", len(blocks), maxViewBlocks)
	}
	return nil
}

func validateInput(in slack.InputBlock) error {
	if err := validateBlockID("input", in.Type, slack.MBTInput, in.BlockID); err != nil {
		return err
	}
	if in.BlockID == "" {
		return errors.New("input has no block_id")
	}
	if err := validateText("input label", in.Label, maxInputLabel, true); err != nil {
		return err
	}
	if in.Hint != nil {
		if err := validateText("input hint", in.Hint, maxInputLabel, true); err != nil {
			return err
		}
	}
	switch el := in.Element.(type) {
	case *slack.SelectBlockElement:
		if el != nil {
			return validateStaticSelect(el)
		}
	case *slack.PlainTextInputBlockElement:
		if el != nil {
			return validatePlainTextInput(el)
		}
	}
	return fmt.Errorf("input element %T is not checked by ValidateView", in.Element)
}

func validateStaticSelect(s *slack.SelectBlockElement) error {
	if s.Type != slack.OptTypeStatic {
		return fmt.Errorf("select has type %q, want %q", s.Type, slack.OptTypeStatic)
	}
	if err := validateElementCommon("static_select", s.ActionID, s.Placeholder); err != nil {
		return err
	}
	if len(s.OptionGroups) > 0 || s.Confirm != nil {
		return errors.New("static_select option_groups and confirm are not checked by ValidateView")
	}
	if len(s.Options) == 0 || len(s.Options) > MaxOptions {
		return fmt.Errorf("static_select has %d options, want 1–%d", len(s.Options), MaxOptions)
	}
	values := map[string]bool{}
	for i, o := range s.Options {
		if o == nil {
			return fmt.Errorf("static_select option %d is nil", i)
		}
		if err := validateText(fmt.Sprintf("option %d text", i), o.Text, MaxOptionText, true); err != nil {
			return err
		}
		if n := Chars(o.Value); n == 0 || n > MaxOptionValue {
			return fmt.Errorf("option %d value has %d characters, want 1–%d", i, n, MaxOptionValue)
		}
		if values[o.Value] {
			return fmt.Errorf("option %d value %q is not unique", i, Clip(o.Value, 80))
		}
		values[o.Value] = true
		if o.Description != nil || o.URL != "" {
			return fmt.Errorf("option %d description and url are not checked by ValidateView", i)
		}
	}
	if o := s.InitialOption; o != nil && !values[o.Value] {
		return errors.New("static_select initial_option is not one of its options")
	}
	return nil
}

func validatePlainTextInput(p *slack.PlainTextInputBlockElement) error {
	if p.Type != slack.METPlainTextInput {
		return fmt.Errorf("plain_text_input has type %q, want %q", p.Type, slack.METPlainTextInput)
	}
	if err := validateElementCommon("plain_text_input", p.ActionID, p.Placeholder); err != nil {
		return err
	}
	switch {
	case p.MaxLength < 0 || p.MaxLength > maxInputLength:
		return fmt.Errorf("plain_text_input max_length is %d, want 1–%d (0: unset)", p.MaxLength, maxInputLength)
	case p.MinLength < 0 || p.MinLength > maxInputLength:
		return fmt.Errorf("plain_text_input min_length is %d, want 0–%d", p.MinLength, maxInputLength)
	case p.MaxLength > 0 && p.MinLength > p.MaxLength:
		return fmt.Errorf("plain_text_input min_length %d is above max_length %d", p.MinLength, p.MaxLength)
	case p.MaxLength > 0 && Chars(p.InitialValue) > p.MaxLength:
		return fmt.Errorf("plain_text_input initial_value has %d characters, max_length %d", Chars(p.InitialValue), p.MaxLength)
	}
	return nil
}

// validateElementCommon checks an input element's action_id and optional placeholder.
func validateElementCommon(what, actionID string, placeholder *slack.TextBlockObject) error {
	if n := Chars(actionID); n > maxActionID {
		return fmt.Errorf("%s action_id has %d characters, limit %d", what, n, maxActionID)
	}
	if placeholder != nil {
		return validateText(what+" placeholder", placeholder, maxPlaceholder, true)
	}
	return nil
}

// validateText checks a text object: its type, that it is not empty, its length, and the
// flags that only one of the two types takes.
func validateText(what string, t *slack.TextBlockObject, limit int, plainOnly bool) error {
	if t == nil {
		return fmt.Errorf("%s is missing", what)
	}
	switch t.Type {
	case slack.PlainTextType:
		if t.Verbatim {
			return fmt.Errorf("%s: verbatim is only for mrkdwn", what)
		}
	case slack.MarkdownType:
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

// Ellipsis marks text cut to fit a limit; it is one character.
const Ellipsis = "…"

// clip returns s when it has at most max characters (see Chars); otherwise the longest
// prefix that, with "…" appended, does. It never cuts inside an entity (&amp;) or an
// angle-bracket token (<@U123>), so escaped text stays escaped and a mention stays whole,
// nor between a character and a mark, variation selector or joiner that belongs to it.
func Clip(s string, max int) string {
	if Chars(s) <= max {
		return s
	}
	if max < Chars(Ellipsis) {
		return ""
	}
	budget := max - Chars(Ellipsis)
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
	return strings.TrimRight(s[:cut], " ,\n") + Ellipsis
}

// joinsPrevious reports whether r belongs to the character before it: a combining mark,
// a variation selector (☕️), a zero-width joiner (👩‍💻), an emoji skin tone.
func joinsPrevious(r rune) bool {
	return unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Mc, r) ||
		r == '\u200d' || (r >= '\ufe00' && r <= '\ufe0f') || (r >= 0x1F3FB && r <= 0x1F3FF) ||
		(r >= 0xE0020 && r <= 0xE007F) // tag characters of flag sequences
}
