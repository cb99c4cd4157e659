package events

import "math"

// fitLogistic fits a logistic regression to the examples by Newton's
// method with an L2 penalty of l2 on the weights (not the bias): it
// writes the weights into weights and returns the bias.
func fitLogistic(ex []example, l2 float64, weights []float64) (bias float64) {
	if len(ex) == 0 {
		return 0
	}
	d := len(weights) + 1
	w := make([]float64, d)
	x := make([]float64, d)
	for iter := 0; iter < 50; iter++ {
		g := make([]float64, d)
		h := make([][]float64, d)
		for i := range h {
			h[i] = make([]float64, d)
		}
		for _, e := range ex {
			copy(x, e.X)
			x[d-1] = 1
			z := 0.0
			for i := range d {
				z += w[i] * x[i]
			}
			p := 1 / (1 + math.Exp(-z))
			y := 0.0
			if e.Same {
				y = 1
			}
			for i := range d {
				g[i] += (p - y) * x[i]
				for j := range d {
					h[i][j] += p * (1 - p) * x[i] * x[j]
				}
			}
		}
		for i := range d - 1 {
			g[i] += l2 * w[i]
			h[i][i] += l2
		}
		step := solve(h, g)
		change := 0.0
		for i := range d {
			w[i] -= step[i]
			change = max(change, math.Abs(step[i]))
		}
		if change < 1e-8 {
			break
		}
	}
	copy(weights, w)
	return w[d-1]
}

// solve solves a·x = b by Gaussian elimination with partial pivoting; a
// and b are overwritten.
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	for col := range n {
		p := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p] = a[p], a[col]
		b[col], b[p] = b[p], b[col]
		if a[col][col] == 0 {
			continue
		}
		for r := col + 1; r < n; r++ {
			f := a[r][col] / a[col][col]
			for k := col; k < n; k++ {
				a[r][k] -= f * a[col][k]
			}
			b[r] -= f * b[col]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		if a[r][r] != 0 {
			x[r] = s / a[r][r]
		}
	}
	return x
}
