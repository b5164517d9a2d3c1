//go:build !cgo

package gpu

// NVML is reached through cgo; a static, cgo-free build has no GPU monitor.
func openNVML() (reader, error) { return nil, errNoCgo }

func openEnergy() (EnergyDevices, error) { return nil, errNoCgo }
