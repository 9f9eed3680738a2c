package vtl

import "errors"

// ErrLimit is wrapped by every error caused by a Limits bound, so callers can
// tell a hostile or runaway template (errors.Is(err, ErrLimit)) from a bug.
var ErrLimit = errors.New("vtl: limit exceeded")

// Limits bounds the resources one Parse or Render may use. A zero field means
// "use the DefaultLimits value".
type Limits struct {
	MaxOutput    int // bytes of rendered output
	MaxSteps     int // evaluation steps (directives, references, method calls, loop iterations)
	MaxDepth     int // nesting of directives/expressions when parsing; macro/#define recursion when rendering
	MaxRange     int // elements in a [a..b] range
	MaxLoop      int // iterations of one #foreach
	MaxString    int // bytes of any string built while rendering
	MaxTemplate  int // bytes of template source
	MaxJSONDepth int // nesting of JSON documents ($input.path, $util.parseJson)
}

// DefaultLimits applies to templates parsed with Parse. The numbers allow
// anything API Gateway itself accepts (10 MB payloads) while keeping a hostile
// template to well under a second and a few tens of MB.
// Modify it only before templates are parsed and rendered.
var DefaultLimits = Limits{
	MaxOutput:    10 << 20,
	MaxSteps:     5_000_000,
	MaxDepth:     100,
	MaxRange:     100_000,
	MaxLoop:      100_000,
	MaxString:    10 << 20,
	MaxTemplate:  1 << 20,
	MaxJSONDepth: 512,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	def := func(v *int, dv, fallback int) {
		if *v <= 0 {
			*v = dv
		}
		if *v <= 0 {
			*v = fallback
		}
	}
	def(&l.MaxOutput, d.MaxOutput, 10<<20)
	def(&l.MaxSteps, d.MaxSteps, 5_000_000)
	def(&l.MaxDepth, d.MaxDepth, 100)
	def(&l.MaxRange, d.MaxRange, 100_000)
	def(&l.MaxLoop, d.MaxLoop, 100_000)
	def(&l.MaxString, d.MaxString, 10<<20)
	def(&l.MaxTemplate, d.MaxTemplate, 1<<20)
	def(&l.MaxJSONDepth, d.MaxJSONDepth, 512)
	return l
}

// Limits returns the limits Render applies by default.
func (t *Template) Limits() Limits { return t.limits }

// SetLimits changes the template's render limits. Call it before the template
// is shared between goroutines.
func (t *Template) SetLimits(l Limits) { t.limits = l.withDefaults() }
