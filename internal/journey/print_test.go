package journey

import "testing"

func TestRoundSig(t *testing.T) {
	for _, c := range []struct {
		x    float64
		d    int
		want float64
	}{
		{0, 3, 0}, {0.123456, 3, 0.123}, {999.96, 3, 1000}, {0.01, 3, 0.01},
		{-1234.5, 3, -1230}, {2.5e-7, 1, 3e-7}, {123456, 2, 120000},
	} {
		if got := RoundSig(c.x, c.d); got != c.want {
			t.Errorf("RoundSig(%v, %d) = %v, want %v", c.x, c.d, got, c.want)
		}
	}
}
