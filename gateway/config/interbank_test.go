package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/config"
)

func TestInterbankSection(t *testing.T) {
	t.Run("absent: no timer, defaults", func(t *testing.T) {
		cfg, err := config.Parse([]byte(validJSON))
		require.NoError(t, err)
		require.Equal(t, config.Interbank{}, cfg.Interbank)
	})
	t.Run("given", func(t *testing.T) {
		js := strings.Replace(validJSON, `"stateDir"`, `"interbank": {"cycleIdentity": "icbc-sh", "cycleInterval": "15s", "maxQueue": 500, "maxDayTransfers": 2000},
  "stateDir"`, 1)
		cfg, err := config.Parse([]byte(js))
		require.NoError(t, err)
		require.Equal(t, config.Interbank{CycleIdentity: "icbc-sh", CycleInterval: config.Duration(15 * time.Second), MaxQueue: 500, MaxDayTransfers: 2000}, cfg.Interbank)
	})
	t.Run("unknown field", func(t *testing.T) {
		js := strings.Replace(validJSON, `"stateDir"`, `"interbank": {"cycleIdentty": "icbc-sh"}, "stateDir"`, 1)
		_, err := config.Parse([]byte(js))
		require.ErrorIs(t, err, config.ErrInvalid)
	})
	tests := []struct {
		name  string
		ib    config.Interbank
		field string
	}{
		{"an identity that is no client", config.Interbank{CycleIdentity: "nobody"}, "interbank.cycleIdentity"},
		{"a negative interval", config.Interbank{CycleInterval: config.Duration(-time.Second)}, "interbank.cycleInterval"},
		{"an interval over an hour", config.Interbank{CycleInterval: config.Duration(2 * time.Hour)}, "interbank.cycleInterval"},
		{"a negative queue bound", config.Interbank{MaxQueue: -1}, "interbank.maxQueue"},
		{"a huge day bound", config.Interbank{MaxDayTransfers: 20_000_000}, "interbank.maxDayTransfers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(validJSON))
			require.NoError(t, err)
			cfg.Interbank = tt.ib
			err = cfg.Validate()
			require.True(t, errors.Is(err, config.ErrInvalid), "%v", err)
			require.Contains(t, err.Error(), tt.field+":")
		})
	}
}
