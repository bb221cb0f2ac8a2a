"""The chain of identity: each sample and its DIN, ISBT 128 codes, labels, identity events.

Every later area (culture's batches and doses, quality's record, the clinic's bedside
check) identifies what it handles through these, so they sit low.
"""
