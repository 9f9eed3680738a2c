package slacksim

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// RenderMessage shows a message's blocks as text for a terminal (its text when it has no
// blocks): sections, context lines, headers in capitals, dividers, and buttons in brackets
// — [+1 same] [Cancel mine] [Close round ⚠] — marked ⚠ when their style is danger and ↗
// when they open a link.
func RenderMessage(msg *slack.Msg) string {
	if msg == nil {
		return ""
	}
	var b strings.Builder
	if len(msg.Blocks.BlockSet) == 0 {
		b.WriteString(msg.Text + "\n")
	}
	writeBlocks(&b, msg.Blocks.BlockSet)
	return b.String()
}

// RenderView shows a modal for a terminal: its title, its blocks — input fields with their
// labels, placeholders and options — and its close and submit buttons.
func RenderView(v slack.View) string {
	var b strings.Builder
	title := ""
	if v.Title != nil {
		title = v.Title.Text
	}
	fmt.Fprintf(&b, "[modal] %s\n", title)
	writeBlocks(&b, v.Blocks.BlockSet)
	var buttons []string
	for _, t := range []*slack.TextBlockObject{v.Close, v.Submit} {
		if t != nil {
			buttons = append(buttons, "["+t.Text+"]")
		}
	}
	if len(buttons) > 0 {
		b.WriteString(strings.Join(buttons, " ") + "\n")
	}
	return b.String()
}

func writeBlocks(b *strings.Builder, blocks []slack.Block) {
	for _, block := range blocks {
		switch bl := block.(type) {
		case *slack.SectionBlock:
			line := ""
			if bl.Text != nil {
				line = unescape(bl.Text.Text)
			}
			for _, f := range bl.Fields {
				line = strings.TrimSpace(line + "  " + unescape(f.Text))
			}
			if bl.Accessory != nil && bl.Accessory.ButtonElement != nil {
				line = strings.TrimSpace(line + "  " + renderButton(bl.Accessory.ButtonElement))
			}
			if bl.Text != nil || line != "" {
				b.WriteString(line + "\n")
			}
		case *slack.ContextBlock:
			for _, el := range bl.ContextElements.Elements {
				if t, ok := el.(*slack.TextBlockObject); ok {
					b.WriteString("  " + unescape(t.Text) + "\n")
				}
			}
		case *slack.HeaderBlock:
			b.WriteString(strings.ToUpper(bl.Text.Text) + "\n")
		case *slack.DividerBlock:
			b.WriteString("----\n")
		case *slack.ActionBlock:
			b.WriteString(renderActions(bl) + "\n")
		case *slack.InputBlock:
			b.WriteString(renderInput(bl))
		}
	}
}

func renderActions(a *slack.ActionBlock) string {
	if a.Elements == nil {
		return ""
	}
	var out []string
	for _, el := range a.Elements.ElementSet {
		if btn, ok := el.(*slack.ButtonBlockElement); ok {
			out = append(out, renderButton(btn))
		}
	}
	return strings.Join(out, " ")
}

func renderButton(btn *slack.ButtonBlockElement) string {
	text := ""
	if btn.Text != nil {
		text = btn.Text.Text
	}
	if btn.Style == slack.StyleDanger {
		text += " ⚠"
	}
	if btn.URL != "" {
		text += " ↗"
	}
	return "[" + text + "]"
}

// renderInput shows an input block: "Label: [placeholder]" for a text field, "Label: ▾ a |
// b" with the initial option marked • for a menu, "(optional)" when it may stay empty.
func renderInput(in *slack.InputBlock) string {
	label := ""
	if in.Label != nil {
		label = in.Label.Text
	}
	if in.Optional {
		label += " (optional)"
	}
	field := ""
	switch el := in.Element.(type) {
	case *slack.PlainTextInputBlockElement:
		shown := el.InitialValue
		if shown == "" && el.Placeholder != nil {
			shown = el.Placeholder.Text + "…"
		}
		field = "[" + shown + "]"
	case *slack.SelectBlockElement:
		field = "▾ " + renderOptions(el.Options, el.InitialOption)
	case *slack.RadioButtonsBlockElement:
		field = "◯ " + renderOptions(el.Options, el.InitialOption)
	default:
		field = fmt.Sprintf("(%T)", in.Element)
	}
	out := label + ": " + field + "\n"
	if in.Hint != nil {
		out += "  " + in.Hint.Text + "\n"
	}
	return out
}

func renderOptions(opts []*slack.OptionBlockObject, initial *slack.OptionBlockObject) string {
	var out []string
	for _, o := range opts {
		if o == nil || o.Text == nil {
			continue
		}
		t := o.Text.Text
		if initial != nil && initial.Value == o.Value {
			t = "•" + t
		}
		out = append(out, t)
	}
	return strings.Join(out, " | ")
}
