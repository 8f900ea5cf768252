package trace

import (
	"io"
	"sort"
)

// maxSpaces is the longest run of white space between JSON tokens that
// the decoder is shown. encoding/json's Decoder scans a run of white
// space again from its start each time it reads more input, so a long run
// (a few compressed bytes can hold gigabytes of it) would take quadratic
// time.
const maxSpaces = 4096

// squeezer shortens the runs of white space outside JSON strings to
// maxSpaces bytes. It remembers where it dropped bytes, so that offsets
// in the squeezed stream map back to the input (inputOffset).
type squeezer struct {
	r          io.Reader
	out        int64 // bytes passed on
	run        int   // white space at the end of the output
	inStr, esc bool  // inside a string, after a backslash in one
	drops      []squeezed
}

// squeezed records that total bytes in all had been dropped before
// offset at of the squeezed stream.
type squeezed struct{ at, total int64 }

func (s *squeezer) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		w := s.squeeze(p[:n])
		if w > 0 || err != nil || n == 0 {
			return w, err
		}
	}
}

// squeeze drops the excess white space of b in place and returns the
// length of what is left.
func (s *squeezer) squeeze(b []byte) int {
	w := 0
	for _, c := range b {
		switch {
		case s.inStr:
			s.inStr = s.esc || c != '"'
			s.esc = !s.esc && c == '\\'
		case c == '"':
			s.inStr, s.run = true, 0
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			s.run++
			if s.run > maxSpaces {
				s.drop(s.out + int64(w))
				continue
			}
		default:
			s.run = 0
		}
		b[w] = c
		w++
	}
	s.out += int64(w)
	return w
}

func (s *squeezer) drop(at int64) {
	k := len(s.drops)
	if k > 0 && s.drops[k-1].at == at {
		s.drops[k-1].total++
		return
	}
	total := int64(1)
	if k > 0 {
		total += s.drops[k-1].total
	}
	s.drops = append(s.drops, squeezed{at, total})
}

// inputOffset maps an offset of the squeezed stream to the input.
func (s *squeezer) inputOffset(o int64) int64 {
	i := sort.Search(len(s.drops), func(i int) bool { return s.drops[i].at > o })
	if i == 0 {
		return o
	}
	return o + s.drops[i-1].total
}
