package upstream

import "testing"

func TestTheQuranHas6236Verses(t *testing.T) {
	if got, want := versesBefore[Chapters], Verses; got != want {
		t.Fatalf("the chapters' verses add up to %d, want %d", got, want)
	}
	for i := 1; i <= Verses; i++ {
		k, ok := VerseAt(i)
		if !ok || k.Index() != i {
			t.Fatalf("VerseAt(%d) = %v, %v; its Index is %d", i, k, ok, k.Index())
		}
	}
	if _, ok := VerseAt(Verses + 1); ok {
		t.Error("VerseAt(6237) exists")
	}
}

func TestVerseKeys(t *testing.T) {
	for _, c := range []struct {
		in    string
		index int // 0: refused
	}{
		{"1:1", 1}, {"2:255", 262}, {"114:6", 6236}, {"112:1", 6222},
		{"2:287", 0}, {"115:1", 0}, {"0:1", 0}, {"1:0", 0}, {"", 0}, {"2", 0}, {"2:", 0},
		{":255", 0}, {"2:255:1", 0}, {" 2:255", 0}, {"+2:255", 0}, {"2:-1", 0}, {"99999:1", 0}, {"２:255", 0},
	} {
		t.Run(c.in, func(t *testing.T) {
			k, err := ParseVerseKey(c.in)
			if c.index == 0 {
				if err == nil {
					t.Fatalf("ParseVerseKey(%q) = %v, want an error", c.in, k)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := k.Index(); got != c.index {
				t.Errorf("index %d, want %d", got, c.index)
			}
			if got := k.String(); got != c.in {
				t.Errorf("String %q, want %q", got, c.in)
			}
		})
	}
}
