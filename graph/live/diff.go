// What a poll emits: the diffs of two snapshots.

package live

// NewIDs is a Diff for lists that grow at the top (cur.IDs newest first, a
// window of the latest): the items above the newest id cur shares with prev
// and not in prev, oldest first, which is the order they were added in. Below
// that id nothing is new: a post deleted from the window lets an older one
// slide in at the bottom, which is not an addition. With no id in common
// (more new items than the window holds), every item of cur is new.
func NewIDs[T any](prev, cur Snapshot[T]) []T {
	known := make(map[string]struct{}, len(prev.IDs))
	for _, id := range prev.IDs {
		known[id] = struct{}{}
	}
	top := len(cur.IDs)
	for i, id := range cur.IDs {
		if _, ok := known[id]; ok {
			top = i
			break
		}
	}
	var out []T
	for i := top - 1; i >= 0; i-- {
		id := cur.IDs[i]
		if _, ok := known[id]; ok {
			continue
		}
		known[id] = struct{}{} // an id listed twice is still one item
		if v, ok := cur.Items[id]; ok {
			out = append(out, v)
		}
	}
	return out
}

// ChangedItems is a Diff for values that change in place, such as counts: the
// items of cur whose value differs from prev's for the same id, in cur's order.
// An id new in cur has nothing to differ from and is not emitted.
func ChangedItems[T comparable](prev, cur Snapshot[T]) []T {
	var out []T
	for _, id := range cur.IDs {
		v, ok := cur.Items[id]
		if !ok {
			continue
		}
		if old, ok := prev.Items[id]; ok && old != v {
			out = append(out, v)
		}
	}
	return out
}
