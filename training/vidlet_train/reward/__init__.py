"""The reward model of issue #9 (VideoAlign / VideoReward): VQ, MQ and TA scores of a finished clip,
trained with Bradley–Terry with ties on proxy preference pairs. See README.md in this folder."""
