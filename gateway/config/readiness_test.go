package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/config"
)

func TestReadinessAndLimits(t *testing.T) {
	t.Run("absent: defaults", func(t *testing.T) {
		cfg, err := config.Parse([]byte(validJSON))
		require.NoError(t, err)
		require.Equal(t, config.Readiness{MaxLag: 5, Grace: config.Duration(5 * time.Second),
			CacheFor: config.Duration(time.Second), Timeout: config.Duration(3 * time.Second)}, cfg.Readiness)
		require.Equal(t, 8<<10, cfg.HTTP.MaxURLBytes)
		require.Equal(t, 4<<10, cfg.HTTP.MaxQueryBytes)
		require.Equal(t, 8, cfg.Events.MaxPerClient)
	})
	t.Run("given, omitted fields keep their defaults", func(t *testing.T) {
		js := strings.Replace(validJSON, `"stateDir"`, `"readiness": {"maxLag": 20, "grace": "30s"},
  "http": {"maxURLBytes": 2048},
  "stateDir"`, 1)
		cfg, err := config.Parse([]byte(js))
		require.NoError(t, err)
		require.Equal(t, uint64(20), cfg.Readiness.MaxLag)
		require.Equal(t, 30*time.Second, cfg.Readiness.Grace.D())
		require.Equal(t, time.Second, cfg.Readiness.CacheFor.D())
		require.Equal(t, 2048, cfg.HTTP.MaxURLBytes)
		require.Equal(t, 30*time.Second, cfg.HTTP.ReadTimeout.D(), "sibling default kept")
	})
	for _, tc := range []struct {
		name  string
		edit  func(*config.Config)
		field string
	}{
		{"negative grace", func(c *config.Config) { c.Readiness.Grace = -1 }, "readiness.grace"},
		{"no cache", func(c *config.Config) { c.Readiness.CacheFor = 0 }, "readiness.cacheFor"},
		{"cache too long", func(c *config.Config) { c.Readiness.CacheFor = config.Duration(time.Hour) }, "readiness.cacheFor"},
		{"no probe timeout", func(c *config.Config) { c.Readiness.Timeout = 0 }, "readiness.timeout"},
		{"url limit tiny", func(c *config.Config) { c.HTTP.MaxURLBytes = 10 }, "http.maxURLBytes"},
		{"url limit over header limit", func(c *config.Config) { c.HTTP.MaxURLBytes = c.HTTP.MaxHeaderBytes + 1 }, "http.maxURLBytes"},
		{"no query", func(c *config.Config) { c.HTTP.MaxQueryBytes = 0 }, "http.maxQueryBytes"},
		{"streams per client", func(c *config.Config) { c.Events.MaxPerClient = 0 }, "events.maxPerClient"},
		{"streams per client over total", func(c *config.Config) { c.Events.MaxPerClient = c.Events.MaxSubscribers + 1 }, "events.maxPerClient"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse([]byte(validJSON))
			require.NoError(t, err)
			tc.edit(&c)
			err = c.Validate()
			require.True(t, errors.Is(err, config.ErrInvalid), err)
			require.Contains(t, err.Error(), ": "+tc.field+":")
		})
	}
}
