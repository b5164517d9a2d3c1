# Loads every visible GPU with bf16 matrix products for energycheck (at
# most 150 s). With "burst": 3 s on, 1 s idle, so the power swings and the
# integral of the samples is put to a harder test.
import sys, threading, time
import torch

burst = len(sys.argv) > 1 and sys.argv[1] == "burst"


def work(dev):
    a = torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16)
    b = torch.randn_like(a)
    t = time.time()
    while time.time() - t < 150:
        if burst and int(time.time()) % 4 == 3:
            time.sleep(0.05)
            continue
        for _ in range(8):
            a @ b
        torch.cuda.synchronize(dev)


threads = [threading.Thread(target=work, args=(f"cuda:{i}",)) for i in range(torch.cuda.device_count())]
for th in threads:
    th.start()
for th in threads:
    th.join()
