// Package i18n holds the catalogues of every message orderbot sends — one table per
// supported locale, keyed by message id — and builds a golang.org/x/text/message Printer
// for a locale from them. Package say words every reply through such a Printer.
//
// A catalogue entry is a Text: a format with fmt's verbs, every one with an explicit
// argument index (%[1]s, %[2]d — the formats of two languages put the same arguments in
// different orders), and ${name} where a plural phrase goes. A Plural picks its phrase by
// the CLDR plural category of one argument: English has "one" and "other", Korean only
// "other" (Korean counts with counters — 주문 3건, 메뉴 2개 — and has no plural forms).
// Nothing is parsed at run time but the tables, once per locale, when a Printer is first
// asked for.
//
// Tests keep the catalogues in step: every id is in every catalogue, the verbs and their
// argument indexes agree across languages, each Plural has exactly the categories its
// language uses, and every ${name} is defined.
package i18n

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Default is the locale when none is set.
const Default = "en"

// ID names a message in every catalogue.
type ID string

// Text is one message in one language.
type Text struct {
	// Format is the message: fmt verbs with explicit argument indexes, ${name} for the
	// Plural of that name.
	Format string
	// Plurals are the phrases that depend on a count.
	Plurals []Plural
}

// Plural is a phrase chosen by the plural category of argument Arg (1-based, an integer):
// One for CLDR's "one", Other for the rest. A language without "one" (Korean) leaves One
// empty.
type Plural struct {
	Name       string
	Arg        int
	One, Other string
}

// S is a Text without plurals.
func S(format string) Text { return Text{Format: format} }

// P is a Text with plurals.
func P(format string, plurals ...Plural) Text { return Text{Format: format, Plurals: plurals} }

// locale is one supported language: its tag and its catalogue.
type locale struct {
	tag   language.Tag
	texts map[ID]Text

	once      sync.Once
	catalogue *Catalogue
	err       error
}

// Catalogue is a locale's catalogue compiled: what formats its messages. It is safe for
// concurrent use.
type Catalogue struct {
	printer *message.Printer
	// fixed holds the messages without arguments (most of a round message's: buttons,
	// confirmation, hints), formatted once: a Printer's Sprintf costs a dozen allocations.
	fixed map[ID]string
}

// Sprintf formats message id with args.
func (c *Catalogue) Sprintf(id ID, args ...any) string {
	if len(args) == 0 {
		if s, ok := c.fixed[id]; ok {
			return s
		}
	}
	return c.printer.Sprintf(string(id), args...)
}

// locales are the supported locales by name: the value of the stack's `locale` context
// key and of ORDERBOT_LOCALE.
var locales = map[string]*locale{
	"en": {tag: language.English, texts: en},
	"ko": {tag: language.Korean, texts: ko},
}

// Locales lists the supported locales, sorted.
func Locales() []string {
	names := make([]string, 0, len(locales))
	for name := range locales {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Check returns the locale name for s (case and surrounding space ignored; empty is
// Default), or an error naming the supported locales.
func Check(s string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if name == "" {
		return Default, nil
	}
	if _, ok := locales[name]; !ok {
		return "", fmt.Errorf("unsupported locale %q: supported are %s", s, strings.Join(Locales(), ", "))
	}
	return name, nil
}

// Load returns the Catalogue of a locale (see Check), compiling it the first time.
func Load(name string) (*Catalogue, error) {
	name, err := Check(name)
	if err != nil {
		return nil, err
	}
	l := locales[name]
	l.once.Do(func() { l.catalogue, l.err = build(l.tag, l.texts) })
	return l.catalogue, l.err
}

// build compiles one catalogue. A format that x/text refuses (an unknown ${name}) is an
// error, which tests catch long before a cold start.
func build(tag language.Tag, texts map[ID]Text) (*Catalogue, error) {
	b := catalog.NewBuilder(catalog.Fallback(tag))
	for id, t := range texts {
		msgs := make([]catalog.Message, 0, len(t.Plurals)+1)
		for _, p := range t.Plurals {
			var cases []any
			if p.One != "" {
				cases = append(cases, "one", p.One)
			}
			cases = append(cases, "other", p.Other)
			msgs = append(msgs, catalog.Var(p.Name, plural.Selectf(p.Arg, "%d", cases...)))
		}
		msgs = append(msgs, catalog.String(t.Format))
		if err := b.Set(tag, string(id), msgs...); err != nil {
			return nil, fmt.Errorf("catalogue %s, message %s: %w", tag, id, err)
		}
	}
	c := &Catalogue{printer: message.NewPrinter(tag, message.Catalog(b)), fixed: map[ID]string{}}
	for id, t := range texts {
		if len(t.Plurals) == 0 && !strings.Contains(t.Format, "%") {
			c.fixed[id] = c.printer.Sprintf(string(id))
		}
	}
	return c, nil
}

// Texts returns a copy of the catalogue of a locale, for tests, tools and the keyword
// parser (say.ParseKeyword reads every keyword.… entry once); nil for an
// unsupported one.
func Texts(name string) map[ID]Text {
	if l, ok := locales[name]; ok {
		return maps.Clone(l.texts)
	}
	return nil
}

// Forms is the Format of id in every catalogue, in Locales order: the words of a keyword
// (KeywordCancel, …), which people may type in any language whatever the setting.
func Forms(id ID) []string {
	var forms []string
	for _, name := range Locales() {
		if t, ok := locales[name].texts[id]; ok {
			forms = append(forms, t.Format)
		}
	}
	return forms
}

// Tag is the language tag of a supported locale.
func Tag(name string) language.Tag {
	if l, ok := locales[name]; ok {
		return l.tag
	}
	return language.Und
}
