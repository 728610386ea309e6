package zuul

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Zuul loads its files with PyYAML, which resolves plain scalars by the
// YAML 1.1 rules, and DevStack's role writes each value with Python's
// str(). So 0755 is the octal number 493, 1:30 the base-60 number 90,
// 3.10 the float 3.1, and 1e5 (no dot, no signed exponent) a string.
// These are PyYAML's implicit resolvers, tried in its order.
var (
	yaml11Float = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	yaml11Int   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yaml11Null  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
)

// yaml11Bools are the plain scalars PyYAML reads as booleans.
var yaml11Bools = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"true": true, "True": true, "TRUE": true,
	"no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
	"false": false, "False": false, "FALSE": false,
}

// yaml11Tag is the tag PyYAML gives a plain scalar.
func yaml11Tag(text string) string {
	switch _, isBool := yaml11Bools[text]; {
	case isBool:
		return "!!bool"
	case yaml11Float.MatchString(text):
		return "!!float"
	case yaml11Int.MatchString(text):
		return "!!int"
	case yaml11Null.MatchString(text):
		return "!!null"
	}
	return "!!str"
}

// pythonInt is str() of the integer PyYAML constructs from text.
func pythonInt(text string) string {
	v := strings.ReplaceAll(text, "_", "")
	sign := ""
	if v != "" && (v[0] == '-' || v[0] == '+') {
		if v[0] == '-' {
			sign = "-"
		}
		v = v[1:]
	}
	n := new(big.Int)
	var ok bool
	switch {
	case v == "0":
		return "0"
	case strings.HasPrefix(v, "0b"):
		_, ok = n.SetString(v[2:], 2)
	case strings.HasPrefix(v, "0x"):
		_, ok = n.SetString(v[2:], 16)
	case strings.HasPrefix(v, "0"):
		_, ok = n.SetString(v[1:], 8)
	case strings.Contains(v, ":"):
		ok = true
		for _, d := range strings.Split(v, ":") {
			digit, err := strconv.Atoi(d)
			if err != nil {
				return text
			}
			n.Mul(n, big.NewInt(60))
			n.Add(n, big.NewInt(int64(digit)))
		}
	default:
		_, ok = n.SetString(v, 10)
	}
	if !ok {
		return text
	}
	if sign == "-" && n.Sign() != 0 {
		return "-" + n.String()
	}
	return n.String()
}

// pythonFloat is str() of the float PyYAML constructs from text.
func pythonFloat(text string) string {
	v := strings.ToLower(strings.ReplaceAll(text, "_", ""))
	sign := 1.0
	if v != "" && (v[0] == '-' || v[0] == '+') {
		if v[0] == '-' {
			sign = -1
		}
		v = v[1:]
	}
	var f float64
	switch {
	case v == ".inf":
		f = math.Inf(1)
	case v == ".nan":
		return "nan"
	case strings.Contains(v, ":"):
		parts := strings.Split(v, ":")
		for i, d := range parts {
			x, err := strconv.ParseFloat(d, 64)
			if err != nil || (i < len(parts)-1 && strings.Contains(d, ".")) {
				return text
			}
			f = f*60 + x
		}
	default:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return text
		}
		f = x
	}
	return pythonRepr(sign * f)
}

// pythonRepr formats a float as Python 3's repr() does: the shortest
// digits that read back the same, in fixed notation with at least one
// decimal when the exponent is in [-4, 16), else as d.ddde+XX.
func pythonRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func isTrue(n *node) bool { return n != nil && n.kind == scalarKind && scalarText(n) == "True" }
