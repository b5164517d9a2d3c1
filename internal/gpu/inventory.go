package gpu

import "fmt"

// Device is one local GPU as NVML names it.
type Device struct {
	Index int
	Name  string
	UUID  string
}

// Inventory lists the local GPUs through NVML (the expected-config
// preflight's gpu.name and gpu.count). It returns an error saying why
// when NVML cannot be read here: no driver, a build without cgo.
func Inventory() ([]Device, error) { return inventory(openNVML) }

func inventory(open func() (reader, error)) ([]Device, error) {
	r, err := open()
	if err != nil {
		return nil, fmt.Errorf("no local GPU: %w", err)
	}
	defer func() { _ = r.Close() }()
	var out []Device
	for _, d := range r.Devices() {
		out = append(out, Device{Index: d.Index, Name: d.Name, UUID: d.UUID})
	}
	return out, nil
}
