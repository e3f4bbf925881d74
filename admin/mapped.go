package admin

import "time"

// dropMappedEvery is how often DB 0's file is taken out of the address space
// (storage.DB.DropMapped): its RSS is then the pages read in the last interval, not every
// page read since the start. A page read again costs a minor fault from the page cache.
var dropMappedEvery = 5 * time.Second // a variable for a test

// dropMappedLoop drops DB 0's mapped pages every interval until stop closes.
func (a *Admin) dropMappedLoop(interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := a.db0.DropMapped(); err != nil {
				a.guard.log.Warn("dropping DB 0's mapped pages failed", "err", err)
			}
		case <-stop:
			return
		}
	}
}
