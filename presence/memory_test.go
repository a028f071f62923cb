package presence_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/presence/presencetest"
)

func TestMemoryConformance(t *testing.T) {
	presencetest.Run(t, presencetest.Config{
		New: func(t *testing.T) presence.Tracker { return presence.NewMemory(presence.Limits{}) },
	})
}

// TestMain fails the package's tests if any goroutine (a Watch's delivery
// goroutine) outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
