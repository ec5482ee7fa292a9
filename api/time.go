package api

import "time"

// BusinessZone is the provinces' time zone, Asia/Shanghai: UTC+8 all year
// (China observes no daylight saving time). A fixed zone keeps the
// chaincode free of the host's time zone database.
var BusinessZone = time.FixedZone("CST", 8*60*60)

// BusinessDate is the business date (Asia/Shanghai) of t, "2006-01-02":
// daily limits count per business date.
func BusinessDate(t time.Time) string { return t.In(BusinessZone).Format("2006-01-02") }
