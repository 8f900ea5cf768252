package dist

// Test hooks.

// ConvolveWith runs the convolution forcing the direct sum (direct true) or
// the FFT.
func (c *Calc) ConvolveWith(f Flavour, x, y Sub, direct bool) Sub {
	old := forceConv
	forceConv = 1
	if !direct {
		forceConv = 2
	}
	defer func() { forceConv = old }()
	return c.convolve(f, x, y)
}
