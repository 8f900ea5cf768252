package trace

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// OTLP JSON is decoded by pdata, whose errors name its parser's
// internals ("ReadStringAsSlice: expects \" or n") and point at the whole
// element. When pdata rejects a span, the checks below find the value at
// fault and say what was wanted, as the protobuf JSON mapping and pdata
// define the fields: IDs are hex strings, 64-bit integers numbers or
// strings of digits, enums numbers or their names, strings may be null,
// and unknown fields are ignored.

// check checks one value, named path in messages.
type check func(path string, v jsonValue) *problem

// checkFields checks the object v (or null) member by member; fields maps
// each key (camelCase and snake_case) to its check.
func checkFields(path string, v jsonValue, fields map[string]check) *problem {
	if kindOf(v.raw) == "null" {
		return nil
	}
	ms, ok := members(v)
	if !ok {
		return wrong(path, v, "an object")
	}
	for _, m := range ms {
		if c := fields[m.key]; c != nil {
			if p := c(join(path, m.key), m.val); p != nil {
				return p
			}
		}
	}
	return nil
}

// join appends key to path: after a space (the path of a whole span,
// resource or scope: "span ") or a dot.
func join(path, key string) string {
	if strings.HasSuffix(path, " ") {
		return path + key
	}
	return path + "." + key
}

// checkSpan returns what is wrong with an OTLP JSON span, or nil.
func checkSpan(v jsonValue) *problem {
	return checkFields("span ", v, spanFields())
}

// checkResource returns what is wrong with an OTLP JSON resource, or
// nil.
func checkResource(v jsonValue) *problem {
	return checkFields("resource ", v, map[string]check{
		"attributes":             checkAttributes,
		"droppedAttributesCount": uintOf(32), "dropped_attributes_count": uintOf(32),
	})
}

// checkScope returns what is wrong with an OTLP JSON instrumentation
// scope, or nil.
func checkScope(v jsonValue) *problem {
	return checkFields("scope ", v, map[string]check{
		"name": checkString, "version": checkString, "attributes": checkAttributes,
		"droppedAttributesCount": uintOf(32), "dropped_attributes_count": uintOf(32),
	})
}

func spanFields() map[string]check {
	return map[string]check{
		"traceId": hexID(16), "trace_id": hexID(16),
		"spanId": hexID(8), "span_id": hexID(8),
		"parentSpanId": hexID(8), "parent_span_id": hexID(8),
		"traceState": checkString, "trace_state": checkString,
		"name":              checkString,
		"flags":             uintOf(32),
		"kind":              enumOf("a span kind", "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"),
		"startTimeUnixNano": uintOf(64), "start_time_unix_nano": uintOf(64),
		"endTimeUnixNano": uintOf(64), "end_time_unix_nano": uintOf(64),
		"attributes":             checkAttributes,
		"droppedAttributesCount": uintOf(32), "dropped_attributes_count": uintOf(32),
		"events":             arrayOf(checkEvent),
		"droppedEventsCount": uintOf(32), "dropped_events_count": uintOf(32),
		"links":             arrayOf(checkLink),
		"droppedLinksCount": uintOf(32), "dropped_links_count": uintOf(32),
		"status": checkStatus,
	}
}

func checkStatus(path string, v jsonValue) *problem {
	return checkFields(path, v, map[string]check{
		"message": checkString,
		"code":    enumOf("a status code", "STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"),
	})
}

func checkEvent(path string, v jsonValue) *problem {
	return checkFields(path, v, map[string]check{
		"timeUnixNano": uintOf(64), "time_unix_nano": uintOf(64),
		"name": checkString, "attributes": checkAttributes,
		"droppedAttributesCount": uintOf(32), "dropped_attributes_count": uintOf(32),
	})
}

func checkLink(path string, v jsonValue) *problem {
	return checkFields(path, v, map[string]check{
		"traceId": hexID(16), "trace_id": hexID(16), "spanId": hexID(8), "span_id": hexID(8),
		"traceState": checkString, "trace_state": checkString, "attributes": checkAttributes,
		"droppedAttributesCount": uintOf(32), "dropped_attributes_count": uintOf(32), "flags": uintOf(32),
	})
}

func checkAttributes(path string, v jsonValue) *problem { return arrayOf(checkKeyValue)(path, v) }

func checkKeyValue(path string, v jsonValue) *problem {
	return checkFields(path, v, map[string]check{
		"key": checkString, "value": checkAnyValue,
		"keyStrindex": intOf(32), "key_strindex": intOf(32),
	})
}

// checkAnyValue checks an attribute value (recursively for arrays and
// key-value lists; encoding/json bounds the nesting).
func checkAnyValue(path string, v jsonValue) *problem {
	return checkFields(path, v, map[string]check{
		"stringValue": checkString, "string_value": checkString,
		"boolValue": checkBool, "bool_value": checkBool,
		"intValue": intOf(64), "int_value": intOf(64),
		"doubleValue": checkFloat, "double_value": checkFloat,
		"arrayValue": valuesOf(checkAnyValue), "array_value": valuesOf(checkAnyValue),
		"kvlistValue": valuesOf(checkKeyValue), "kvlist_value": valuesOf(checkKeyValue),
		"bytesValue": checkBytes, "bytes_value": checkBytes,
		"stringValueStrindex": intOf(32), "string_value_strindex": intOf(32),
	})
}

// valuesOf checks an ArrayValue or KeyValueList: {"values": [...]}.
func valuesOf(c check) check {
	return func(path string, v jsonValue) *problem {
		return checkFields(path, v, map[string]check{"values": arrayOf(c)})
	}
}

// arrayOf checks an array (or null) whose elements pass c.
func arrayOf(c check) check {
	return func(path string, v jsonValue) *problem {
		if kindOf(v.raw) == "null" {
			return nil
		}
		els, ok := items(v)
		if !ok {
			return wrong(path, v, "an array")
		}
		for i, e := range els {
			if p := c(fmt.Sprintf("%s[%d]", path, i), e); p != nil {
				return p
			}
		}
		return nil
	}
}

func checkString(path string, v jsonValue) *problem {
	if k := kindOf(v.raw); k != "a string" && k != "null" {
		return wrong(path, v, "a string")
	}
	return nil
}

func checkBool(path string, v jsonValue) *problem {
	if kindOf(v.raw) != "a boolean" {
		return wrong(path, v, "a boolean")
	}
	return nil
}

func checkBytes(path string, v jsonValue) *problem {
	s, ok := unquote(v)
	if !ok {
		return wrong(path, v, "base64 bytes")
	}
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		return wrongValue(path, v, "base64 bytes")
	}
	return nil
}

func checkFloat(path string, v jsonValue) *problem {
	text, ok := numberText(v)
	if !ok {
		return wrong(path, v, "a number")
	}
	if _, err := strconv.ParseFloat(text, 64); err != nil {
		return wrongValue(path, v, "a number")
	}
	return nil
}

// hexID checks an identifier of n bytes: a string of 2n hex digits, or
// the empty string.
func hexID(n int) check {
	return func(path string, v jsonValue) *problem {
		s, ok := unquote(v)
		if !ok {
			return wrong(path, v, fmt.Sprintf("%d hex digits", 2*n))
		}
		if s != "" && (len(s) != 2*n || !isHex(s)) {
			return wrongValue(path, v, fmt.Sprintf("%d hex digits", 2*n))
		}
		return nil
	}
}

// uintOf checks an unsigned integer of bits bits: a number, or a string
// of digits.
func uintOf(bits int) check {
	return func(path string, v jsonValue) *problem {
		text, ok := numberText(v)
		if !ok {
			return wrong(path, v, "a number")
		}
		if !isUint(text, bits) {
			return wrongValue(path, v, fmt.Sprintf("an unsigned integer of %d bits", bits))
		}
		return nil
	}
}

// intOf checks a signed integer of bits bits: a number, or a string of
// digits.
func intOf(bits int) check {
	return func(path string, v jsonValue) *problem {
		text, ok := numberText(v)
		if !ok {
			return wrong(path, v, "a number")
		}
		if _, err := strconv.ParseInt(text, 10, bits); err != nil {
			return wrongValue(path, v, fmt.Sprintf("an integer of %d bits", bits))
		}
		return nil
	}
}

// enumOf checks an enum: a 32-bit integer, or one of names.
func enumOf(what string, names ...string) check {
	return func(path string, v jsonValue) *problem {
		if kindOf(v.raw) == "a number" {
			return intOf(32)(path, v)
		}
		s, ok := unquote(v)
		if !ok {
			return wrong(path, v, what)
		}
		for _, n := range names {
			if s == n {
				return nil
			}
		}
		return wrongValue(path, v, what)
	}
}

// numberText returns the text of a number, or of a string standing for
// one, and false for other values.
func numberText(v jsonValue) (string, bool) {
	switch kindOf(v.raw) {
	case "a number":
		return string(v.raw), true
	case "a string":
		return unquote(v)
	}
	return "", false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}
