"""Run by tests/training/test_distributed.py under torchrun: the trainer with the TrainConfig given as JSON."""
import json
import sys

import torch

from training import distributed
from training.loop import TrainConfig, Trainer

if __name__ == "__main__":
    trainer = Trainer(TrainConfig(**json.loads(sys.argv[1])))
    try:
        result = trainer.run()
    finally:
        distributed.shutdown()
    print(json.dumps({"rank": trainer.dist.rank if trainer.dist else 0, "steps": result["steps"],
                      "card": result.get("card"),
                      "threads": torch.get_num_threads()}))
