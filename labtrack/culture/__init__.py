"""Culture: batches, states, protocol, steps, counts, growth, the worklist, harvest, doses."""
