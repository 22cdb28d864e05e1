// The kinds of setting: how each reads its variable and shows its default.

package service

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Default returns a setting's default as the README shows it.
func (s setting) Default() string {
	if s.shown != "" || s.value == nil {
		return s.shown
	}
	return "`" + format(s.value()) + "`"
}

func format(v any) string {
	switch v := v.(type) {
	case time.Duration:
		return formatDuration(v)
	case slog.Level:
		return strings.ToLower(v.String())
	}
	return fmt.Sprint(v)
}

// formatDuration writes 24h, not 24h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func show[T any](p *T) func() any { return func() any { return *p } }

// typed is a setting whose value parse reads into *p.
func typed[T any](name string, p *T, shown, doc string, parse func(string) (T, error)) setting {
	return setting{name: name, shown: shown, doc: doc, value: show(p),
		parse: func(v string) error {
			x, err := parse(v)
			if err == nil {
				*p = x
			}
			return err
		}}
}

func asIs(v string) (string, error) { return v, nil }

func strSetting(name string, p *string, shown, doc string) setting {
	return typed(name, p, shown, doc, asIs)
}

// secretSetting logs only whether the value is set.
func secretSetting(name string, p *string, shown, doc string) setting {
	s := typed(name, p, shown, doc, asIs)
	s.value = func() any {
		if *p == "" {
			return "unset"
		}
		return "[redacted]"
	}
	return s
}

// listSetting splits on spaces and commas.
func listSetting(name string, p *[]string, shown, doc string) setting {
	return typed(name, p, shown, doc, func(v string) ([]string, error) {
		return strings.Fields(strings.ReplaceAll(v, ",", " ")), nil
	})
}

// integer reads an integer of at least least.
func integer[T int | int64 | float64](least int) func(string) (T, error) {
	return func(v string) (T, error) {
		n, err := strconv.Atoi(v)
		if err == nil && n >= least {
			return T(n), nil
		}
		if least > 0 {
			return 0, fmt.Errorf("%q is not a positive integer", v)
		}
		return 0, fmt.Errorf("%q is not a count (0 or more)", v)
	}
}

func intSetting(name string, p *int, shown, doc string) setting {
	return typed(name, p, shown, doc, integer[int](1))
}

func int64Setting(name string, p *int64, shown, doc string) setting {
	return typed(name, p, shown, doc, integer[int64](1))
}

func rateSetting(name string, p *float64, shown, doc string) setting {
	return typed(name, p, shown, doc, integer[float64](1))
}

// countSetting reads a count that may be zero.
func countSetting(name string, p *int, shown, doc string) setting {
	return typed(name, p, shown, doc, integer[int](0))
}

func boolSetting(name string, p *bool, shown, doc string) setting {
	return typed(name, p, shown, doc, func(v string) (bool, error) {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("%q is not true or false", v)
		}
		return b, nil
	})
}

func durSetting(name string, p *time.Duration, shown, doc string) setting {
	s := typed(name, p, shown, doc, positiveDuration)
	s.value = func() any { return formatDuration(*p) }
	return s
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 3s", v)
	}
	return d, nil
}

// docSetting is a family of variables that a library reads itself.
func docSetting(name, shown, doc string) setting { return setting{name: name, shown: shown, doc: doc} }
