package slacksim

import (
	"fmt"
	"hash/fnv"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/slackio"
)

// checkView is why Slack would refuse v, as views.open's response_metadata.messages say
// it ("[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"): the first
// limit slackio.ValidateView finds broken, pointing at the block it names.
func checkView(v *slack.ModalViewRequest) []string {
	if err := slackio.ValidateView(*v); err != nil {
		return []string{"[ERROR] " + err.Error() + " " + blockPointer("/view", err)}
	}
	return nil
}

// withBlockIDs returns blocks with a block_id on each that has none, as Slack assigns them
// ("If not specified, a block_id will be generated"): short, derived from seed and the
// block's position, so the same message always gets the same ones. The blocks passed in are
// not modified.
func withBlockIDs(blocks []slack.Block, seed string) []slack.Block {
	if blocks == nil {
		return nil
	}
	out := make([]slack.Block, len(blocks))
	for i, b := range blocks {
		id := generatedBlockID(seed, i)
		switch x := b.(type) {
		case *slack.SectionBlock:
			c := *x
			c.BlockID = orDefault(c.BlockID, id)
			b = &c
		case *slack.ActionBlock:
			c := *x
			c.BlockID = orDefault(c.BlockID, id)
			b = &c
		case *slack.ContextBlock:
			c := *x
			c.BlockID = orDefault(c.BlockID, id)
			b = &c
		case *slack.HeaderBlock:
			c := *x
			c.BlockID = orDefault(c.BlockID, id)
			b = &c
		case *slack.DividerBlock:
			c := *x
			c.BlockID = orDefault(c.BlockID, id)
			b = &c
		case *slack.InputBlock:
			c := *x
			c.BlockID = orDefault(c.BlockID, id)
			b = &c
		}
		out[i] = b
	}
	return out
}

const blockIDAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func generatedBlockID(seed string, i int) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s#%d", seed, i)
	n := h.Sum64()
	id := make([]byte, 5)
	for j := range id {
		id[j] = blockIDAlphabet[n%uint64(len(blockIDAlphabet))]
		n /= uint64(len(blockIDAlphabet))
	}
	return string(id)
}
