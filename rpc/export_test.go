package rpc

// SetMaxUnpagedList sets how many databases listDatabases returns without params before
// it says to paginate, until restore is called. Tests that use it must not run in
// parallel with tests that list more databases than n.
func SetMaxUnpagedList(n int) (restore func()) {
	old := maxUnpagedList.Swap(int64(n))
	return func() { maxUnpagedList.Store(old) }
}
