"""Keras ports of the classic LSTM demos, each module owning its settings and presets:
:mod:`models.demos.adder` (iamtrask's binary adder), :mod:`models.demos.primes`
(nicodjimenez's next-prime LSTM and repeat toy), :mod:`models.demos.cifar` (the Torch7
CIFAR-10 LeNet), and :mod:`models.demos.numpy_demos` (the small ones on the numpy LSTM)."""
