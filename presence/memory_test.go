package presence_test

import (
	"testing"

	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/presence/presencetest"
)

func TestMemoryConformance(t *testing.T) {
	presencetest.Run(t, presencetest.Config{
		New: func(t *testing.T) presence.Tracker { return presence.NewMemory(presence.Limits{}) },
	})
}
