package vtl

import (
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Map is the template-side java.util.Map. Templates observe insertion order
// (keySet, toString, $input.json), as the LinkedHashMap that AWS's
// $util.parseJson returns does, so a plain Go map would not do.
type Map struct {
	keys []string
	vals []any
	idx  map[string]int // built only for larger maps; linear search wins below
	// blank makes the map print as "" while it still answers get, keySet and
	// the rest: the objects nested in $context (identity, requestOverride,
	// responseOverride and their maps) are not Java maps on AWS and render
	// empty (recorded: sqs/amz_json_protocol/context-dump prints
	// "$context.get($key)" as "" for exactly those keys).
	blank bool
}

// mapIndexThreshold is where a hash index starts to beat scanning keys.
const mapIndexThreshold = 12

// NewMap returns an empty ordered map.
func NewMap() *Map { return &Map{} }

// Len returns the number of entries.
func (m *Map) Len() int { return len(m.keys) }

// Keys returns the keys in insertion order (the slice must not be modified).
func (m *Map) Keys() []string { return m.keys }

func (m *Map) find(k string) int {
	if m.idx != nil {
		if i, ok := m.idx[k]; ok {
			return i
		}
		return -1
	}
	for i, kk := range m.keys {
		if kk == k {
			return i
		}
	}
	return -1
}

// Get returns the value stored under k.
func (m *Map) Get(k string) (any, bool) {
	if i := m.find(k); i >= 0 {
		return m.vals[i], true
	}
	return nil, false
}

// Set stores v under k, keeping k's original position if it exists, and
// returns the previous value (Java's Map.put contract, which templates print).
func (m *Map) Set(k string, v any) any {
	if i := m.find(k); i >= 0 {
		old := m.vals[i]
		m.vals[i] = v
		return old
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
	if m.idx != nil {
		m.idx[k] = len(m.keys) - 1
	} else if len(m.keys) > mapIndexThreshold {
		m.idx = make(map[string]int, len(m.keys)*2)
		for i, kk := range m.keys {
			m.idx[kk] = i
		}
	}
	return nil
}

// Delete removes k and returns the value it had.
func (m *Map) Delete(k string) any {
	i := m.find(k)
	if i < 0 {
		return nil
	}
	old := m.vals[i]
	m.keys = append(m.keys[:i], m.keys[i+1:]...)
	m.vals = append(m.vals[:i], m.vals[i+1:]...)
	if m.idx != nil {
		m.idx = nil
		if len(m.keys) > mapIndexThreshold {
			m.idx = make(map[string]int, len(m.keys)*2)
			for j, kk := range m.keys {
				m.idx[kk] = j
			}
		}
	}
	return old
}

func (m *Map) clear() {
	m.keys, m.vals, m.idx = nil, nil, nil
}

// List is the template-side java.util.List (mutable, shared by reference).
type List struct {
	items []any
	// jsonArray marks an array that $input.path took from the body. AWS
	// hands templates a JSON array there (net.minidev JSONArray), whose
	// toString is compact JSON, while the objects beside it stay Java maps
	// (recorded: common/input_path_formatting/json-list prints
	// [{"foo":"bar"}] and dict-with-nested-list {foo=[{"nested":"bar"}]}).
	jsonArray bool
}

// NewList returns a list holding items (not copied).
func NewList(items ...any) *List { return &List{items: items} }

// Len returns the number of elements.
func (l *List) Len() int { return len(l.items) }

// Items returns the elements (the slice must not be modified).
func (l *List) Items() []any { return l.items }

// entry is a Map.Entry as returned by entrySet(); writes go through to the map.
type entry struct {
	m *Map
	k string
}

func (e *entry) value() any { v, _ := e.m.Get(e.k); return v }

// ToValue converts a Go value (as produced by encoding/json, or *Map/*List)
// into the engine's value model. Go maps have no order, so their keys are
// sorted to keep output deterministic; use ParseJSON to keep document order.
// Integral float64 values become integers because encoding/json decodes every
// number as float64 and AWS would print 1 rather than 1.0.
func ToValue(v any) any { return toValue(v, 0) }

func toValue(v any, depth int) any {
	if depth > 1000 {
		return nil
	}
	switch x := v.(type) {
	case nil, bool, string, int:
		return v
	case int64:
		return int(x)
	case int32:
		return int(x)
	case int16:
		return int(x)
	case int8:
		return int(x)
	case uint8:
		return int(x)
	case uint16:
		return int(x)
	case uint32:
		return int(x)
	case uint:
		return uintValue(uint64(x))
	case uint64:
		return uintValue(x)
	case float32:
		return floatValue(float64(x))
	case float64:
		return floatValue(x)
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return int(i)
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	}
	return collectionValue(v, depth)
}

func uintValue(x uint64) any {
	if x > math.MaxInt64 {
		return float64(x)
	}
	return int(x)
}

// collectionValue converts maps and slices, copying the engine's own *Map
// and *List so a render cannot modify the caller's.
func collectionValue(v any, depth int) any {
	switch x := v.(type) {
	case *Map:
		if x == nil {
			return nil
		}
		m := &Map{keys: make([]string, 0, len(x.keys)), vals: make([]any, 0, len(x.vals)), blank: x.blank}
		for i, k := range x.keys {
			m.Set(k, toValue(x.vals[i], depth+1))
		}
		return m
	case *List:
		if x == nil {
			return nil
		}
		l := listValue(x.items, depth)
		l.jsonArray = x.jsonArray
		return l
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := &Map{keys: make([]string, 0, len(x)), vals: make([]any, 0, len(x))}
		for _, k := range keys {
			m.Set(k, toValue(x[k], depth+1))
		}
		return m
	case map[string]string:
		return stringMap(x)
	case []any:
		return listValue(x, depth)
	case []string:
		l := &List{items: make([]any, len(x))}
		for i, e := range x {
			l.items[i] = e
		}
		return l
	}
	return reflectValue(v, depth)
}

func listValue(items []any, depth int) *List {
	l := &List{items: make([]any, len(items))}
	for i, e := range items {
		l.items[i] = toValue(e, depth+1)
	}
	return l
}

// reflectValue converts other slices, arrays, string-keyed maps and
// pointers. Rare in practice (callers pass JSON-shaped data); reflection
// keeps the common paths free of it.
func reflectValue(v any, depth int) any {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		l := &List{items: make([]any, rv.Len())}
		for i := range l.items {
			l.items[i] = toValue(rv.Index(i).Interface(), depth+1)
		}
		return l
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			keys := make([]string, 0, rv.Len())
			for _, k := range rv.MapKeys() {
				keys = append(keys, k.String())
			}
			sort.Strings(keys)
			m := NewMap()
			for _, k := range keys {
				m.Set(k, toValue(rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())).Interface(), depth+1))
			}
			return m
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return toValue(rv.Elem().Interface(), depth+1)
	}
	if s, ok := v.(interface{ String() string }); ok {
		return s.String()
	}
	return nil
}

func floatValue(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int(f)
	}
	return f
}

func stringMap(x map[string]string) *Map {
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := &Map{keys: keys, vals: make([]any, len(keys))}
	for i, k := range keys {
		m.vals[i] = x[k]
	}
	if len(keys) > mapIndexThreshold {
		m.idx = make(map[string]int, len(keys))
		for i, k := range keys {
			m.idx[k] = i
		}
	}
	return m
}

// truthy is AWS's notion of a true condition: only a Boolean false is false.
// Unlike Apache Velocity, a null or undefined reference counts as true
// (recorded: `#if($undefined)yes#end` renders "yes" on API Gateway).
func truthy(v any) bool {
	b, ok := v.(bool)
	return !ok || b
}

// formatFloat renders a double as java.lang.Double.toString does.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	a := math.Abs(f)
	if a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsRune(s, '.') {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64)
	e := strings.IndexByte(s, 'E')
	mant, exp := s[:e], s[e+1:]
	if !strings.ContainsRune(mant, '.') {
		mant += ".0"
	}
	neg := false
	if exp[0] == '+' || exp[0] == '-' {
		neg = exp[0] == '-'
		exp = exp[1:]
	}
	exp = strings.TrimLeft(exp, "0")
	if exp == "" {
		exp = "0"
	}
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}

// appendJava is String.valueOf for values nested in collections, where Java
// prints "null" (only a top-level null reference renders empty on AWS).
func appendJava(b []byte, v any, depth, max int) []byte {
	if len(b) > max {
		return b
	}
	if depth > 64 {
		return append(b, "(...)"...)
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return append(b, formatFloat(x)...)
	case *List:
		return appendJavaList(b, x, depth, max)
	case *Map:
		return appendJavaMap(b, x, depth, max)
	case *entry:
		b = append(b, x.k...)
		b = append(b, '=')
		return appendJava(b, x.value(), depth+1, max)
	case *loopState:
		return append(b, "foreach"...)
	case *defineVal:
		return append(b, x.name...)
	case inputObj:
		return append(b, "$input"...)
	case utilObj:
		return append(b, "$util"...)
	}
	return b
}

// appendJavaList is a list as Java's AbstractCollection.toString prints it — or, for a
// JSON array, as JSON.
func appendJavaList(b []byte, x *List, depth, max int) []byte {
	if x.jsonArray {
		// Bounded like the Java form: the remaining depth budget, and
		// appendJSON stops once b passes max.
		b, _ = appendJSON(b, x, jsonDepthLimit-(64-depth), max)
		return b
	}
	b = append(b, '[')
	for i, e := range x.items {
		if i > 0 {
			b = append(b, ", "...)
		}
		if e == any(x) {
			b = append(b, "(this Collection)"...)
			continue
		}
		b = appendJava(b, e, depth+1, max)
		if len(b) > max {
			return b
		}
	}
	return append(b, ']')
}

// appendJavaMap is a map as Java's AbstractMap.toString prints it; a blank map prints
// nothing.
func appendJavaMap(b []byte, x *Map, depth, max int) []byte {
	if x.blank {
		return b
	}
	b = append(b, '{')
	for i, k := range x.keys {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, k...)
		b = append(b, '=')
		if x.vals[i] == any(x) {
			b = append(b, "(this Map)"...)
			continue
		}
		b = appendJava(b, x.vals[i], depth+1, max)
		if len(b) > max {
			return b
		}
	}
	return append(b, '}')
}

// javaString is toString() for values known to be small.
func javaString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return string(appendJava(nil, v, 0, 1<<26))
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	}
	return 0, false
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, float64:
		return true
	}
	return false
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// valuesEqual follows Velocity 1.7's == : numbers compare by value, values of
// one kind by equals(), anything else by comparing toString() forms.
func valuesEqual(a, b any, depth int, bud *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if isNumber(a) && isNumber(b) {
		ai, aok := a.(int)
		bi, bok := b.(int)
		if aok && bok {
			return ai == bi
		}
		return toFloat(a) == toFloat(b)
	}
	if depth > 64 {
		return false
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	case *List:
		if y, ok := b.(*List); ok {
			if x == y {
				return true
			}
			if len(x.items) != len(y.items) {
				return false
			}
			if *bud += len(x.items); *bud > maxEqualWork {
				return false
			}
			for i := range x.items {
				if !javaEquals(x.items[i], y.items[i], depth+1, bud) {
					return false
				}
			}
			return true
		}
	case *Map:
		if y, ok := b.(*Map); ok {
			return mapsEqual(x, y, depth, bud)
		}
	}
	// Different kinds compare by toString(); a collection's string form is
	// capped so one comparison cannot cost unbounded work.
	const capEq = 1 << 20
	x := appendJava(nil, a, 0, capEq)
	y := appendJava(nil, b, 0, capEq)
	return len(x) <= capEq && len(y) <= capEq && string(x) == string(y)
}

func mapsEqual(x, y *Map, depth int, bud *int) bool {
	if x == y {
		return true
	}
	*bud += len(x.keys)
	if *bud > maxEqualWork {
		return false
	}
	if len(x.keys) != len(y.keys) {
		return false
	}
	for i, k := range x.keys {
		v, ok := y.Get(k)
		if !ok || !javaEquals(x.vals[i], v, depth+1, bud) {
			return false
		}
	}
	return true
}

// maxEqualWork bounds one deep comparison: self-referencing collections
// built by a template would otherwise compare in exponential time.
const maxEqualWork = 1 << 20

// javaEquals is Object.equals, used by contains/indexOf/equals(): unlike ==
// it does not convert between kinds (Integer 1 does not equal String "1").
func javaEquals(a, b any, depth int, bud *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if depth > 64 {
		return false
	}
	switch x := a.(type) {
	case int:
		y, ok := b.(int)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case *List:
		y, ok := b.(*List)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if len(x.items) != len(y.items) {
			return false
		}
		if *bud += len(x.items); *bud > maxEqualWork {
			return false
		}
		for i := range x.items {
			if !javaEquals(x.items[i], y.items[i], depth+1, bud) {
				return false
			}
		}
		return true
	case *Map:
		y, ok := b.(*Map)
		return ok && mapsEqual(x, y, depth, bud)
	}
	return a == b
}
