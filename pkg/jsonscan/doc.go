// Package jsonscan reads and writes JSON in place, for Cognito trigger
// handlers whose whole budget is a few microseconds and a few dozen
// allocations per event.
//
// Decoding a 1.4 KB pre-token event with encoding/json costs about 50 µs and
// over a hundred allocations, most of it for fields the handler never reads.
// A handler instead walks the raw event with [Object] and [Array], reads the
// few values it needs with [String], [StringBytes], [Bool] and [IsNull], and
// builds its response by splicing new bytes (written with [AppendString])
// into the original event at the offsets [Member] reports.
//
// Guarantees:
//
//   - Nothing is acted on before it is known to be valid. [Object] and
//     [Array] validate their entire input, nested values and trailing bytes
//     included, before the first callback, so a truncated or tampered event
//     yields a [*SyntaxError] and no callback at all.
//   - Same answers as encoding/json. [Valid] agrees with json.Valid, [String]
//     with json.Unmarshal into a string (including U+FFFD for invalid UTF-8
//     and lone surrogates), member keys are decoded the same way, and
//     [AppendString] produces the bytes json.Marshal would. Differential fuzz
//     tests hold the package to this, because a handler and anything else
//     reading the same event must never disagree about what it says.
//   - One exception: nesting is limited to 1000 levels (encoding/json allows
//     10000), so deeper input is rejected, without recursion and so without
//     any risk of exhausting the stack.
//   - Duplicate keys are all reported, in order. encoding/json keeps the last
//     one silently; a handler should reject duplicates of keys it relies on.
//   - No allocation while scanning: [Object], [Array], [Valid], [KindOf],
//     [Bool], [IsNull], [StringBytes] of a string that needs no decoding and
//     [AppendString] into a buffer with room allocate nothing. Keys and
//     strings that contain escapes or invalid UTF-8 are decoded into new
//     memory.
//
// Every value handed out is a subslice of the caller's input and is valid
// only as long as that input is not modified.
package jsonscan
