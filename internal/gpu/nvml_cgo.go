//go:build cgo

package gpu

import (
	"errors"
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

const mib = 1 << 20

// nvmlReader reads the devices through go-nvml, which dlopens
// libnvidia-ml.so.1 at Init; on a machine without the driver Init fails and
// the Monitor records "no local GPU".
type nvmlReader struct {
	lib     nvml.Interface
	handles []nvml.Device
	devs    []device
	// memV2 is whether nvmlDeviceGetMemoryInfo_v2 exists. Its Used leaves
	// out memory the driver reserves, as nvidia-smi does; v1's includes it.
	memV2 bool
}

func openNVML() (reader, error) {
	lib := nvml.New()
	if ret := lib.Init(); ret != nvml.SUCCESS {
		if ret == nvml.ERROR_LIBRARY_NOT_FOUND {
			return nil, errors.New("libnvidia-ml.so.1 not found (no NVIDIA driver here, or not on the loader path)")
		}
		return nil, fmt.Errorf("NVML init: %v", ret)
	}
	r := &nvmlReader{lib: lib}
	r.memV2 = lib.Extensions().LookupSymbol("nvmlDeviceGetMemoryInfo_v2") == nil
	n, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		_ = lib.Shutdown()
		return nil, fmt.Errorf("NVML device count: %v", ret)
	}
	for i := 0; i < n; i++ {
		h, ret := lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			_ = lib.Shutdown()
			return nil, fmt.Errorf("NVML device %d: %v", i, ret)
		}
		d := device{Index: i}
		if name, ret := h.GetName(); ret == nvml.SUCCESS {
			d.Name = name
		}
		if uuid, ret := h.GetUUID(); ret == nvml.SUCCESS {
			d.UUID = uuid
		}
		if total, _, err := r.memory(h); err == nil {
			d.MemTotalMiB = total
		}
		r.handles = append(r.handles, h)
		r.devs = append(r.devs, d)
	}
	return r, nil
}

func (r *nvmlReader) Devices() []device { return r.devs }

// memory returns total and used MiB.
func (r *nvmlReader) memory(h nvml.Device) (total, used float64, err error) {
	if r.memV2 {
		m, ret := h.GetMemoryInfo_v2()
		if ret == nvml.SUCCESS {
			return float64(m.Total) / mib, float64(m.Used) / mib, nil
		}
	}
	m, ret := h.GetMemoryInfo()
	if ret != nvml.SUCCESS {
		return 0, 0, fmt.Errorf("memory info: %v", ret)
	}
	return float64(m.Total) / mib, float64(m.Used) / mib, nil
}

func (r *nvmlReader) Sample() ([]reading, error) {
	var errs []error
	out := make([]reading, 0, len(r.handles))
	for i, h := range r.handles {
		rd := reading{Index: r.devs[i].Index}
		_, used, err := r.memory(h)
		if err != nil {
			// Without memory the sample is no use to the checks.
			errs = append(errs, fmt.Errorf("GPU %d: %w", rd.Index, err))
			continue
		}
		rd.MemUsedMiB = used
		if u, ret := h.GetUtilizationRates(); ret == nvml.SUCCESS {
			rd.UtilPct = float64(u.Gpu)
		} else {
			errs = append(errs, fmt.Errorf("GPU %d utilisation: %v", rd.Index, ret))
		}
		if t, ret := h.GetTemperature(nvml.TEMPERATURE_GPU); ret == nvml.SUCCESS {
			rd.TempC = float64(t)
		} else {
			errs = append(errs, fmt.Errorf("GPU %d temperature: %v", rd.Index, ret))
		}
		if p, ret := h.GetPowerUsage(); ret == nvml.SUCCESS {
			rd.PowerW = float64(p) / 1000 // milliwatts
		} else {
			errs = append(errs, fmt.Errorf("GPU %d power: %v", rd.Index, ret))
		}
		out = append(out, rd)
	}
	return out, errors.Join(errs...)
}

func (r *nvmlReader) Close() error {
	if ret := r.lib.Shutdown(); ret != nvml.SUCCESS {
		return ret
	}
	return nil
}

// nvmlEnergy is EnergyDevices over go-nvml.
type nvmlEnergy struct {
	lib     nvml.Interface
	handles []nvml.Device
}

func openEnergy() (EnergyDevices, error) {
	lib := nvml.New()
	if ret := lib.Init(); ret != nvml.SUCCESS {
		if ret == nvml.ERROR_LIBRARY_NOT_FOUND {
			return nil, errors.New("libnvidia-ml.so.1 not found (no NVIDIA driver here, or not on the loader path)")
		}
		return nil, fmt.Errorf("NVML init: %v", ret)
	}
	n, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		_ = lib.Shutdown()
		return nil, fmt.Errorf("NVML device count: %v", ret)
	}
	e := &nvmlEnergy{lib: lib}
	for i := 0; i < n; i++ {
		h, ret := lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			_ = lib.Shutdown()
			return nil, fmt.Errorf("NVML device %d: %v", i, ret)
		}
		e.handles = append(e.handles, h)
	}
	return e, nil
}

func (e *nvmlEnergy) Count() int { return len(e.handles) }

func (e *nvmlEnergy) EnergyMJ(i int) (uint64, bool) {
	mj, ret := e.handles[i].GetTotalEnergyConsumption()
	return mj, ret == nvml.SUCCESS
}

func (e *nvmlEnergy) PowerW(i int) (float64, bool) {
	p, ret := e.handles[i].GetPowerUsage()
	return float64(p) / 1000, ret == nvml.SUCCESS // milliwatts
}

func (e *nvmlEnergy) Close() error {
	if ret := e.lib.Shutdown(); ret != nvml.SUCCESS {
		return ret
	}
	return nil
}
