package samtemplate

import (
	"debug/elf"
	"errors"
	"fmt"
)

// CheckBootstrap checks that path is what provided.al2023 on arm64 runs: a
// 64-bit ELF executable for EM_AARCH64 that is statically linked (no
// program interpreter, no dynamic section, no shared libraries), so it
// needs nothing from the runtime image.
func CheckBootstrap(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("bootstrap %s: %w", path, err)
	}
	defer f.Close()
	var errs []error
	if f.Class != elf.ELFCLASS64 {
		errs = append(errs, fmt.Errorf("class %v, want ELFCLASS64", f.Class))
	}
	if f.Machine != elf.EM_AARCH64 {
		errs = append(errs, fmt.Errorf("machine %v, want EM_AARCH64 (Architectures: [arm64])", f.Machine))
	}
	if f.Type != elf.ET_EXEC {
		errs = append(errs, fmt.Errorf("type %v, want ET_EXEC (a static, non-PIE executable)", f.Type))
	}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			errs = append(errs, errors.New("has a PT_INTERP program header: dynamically linked (build with CGO_ENABLED=0)"))
		case elf.PT_DYNAMIC:
			errs = append(errs, errors.New("has a PT_DYNAMIC program header: dynamically linked"))
		}
	}
	if f.Section(".interp") != nil || f.Section(".dynamic") != nil {
		errs = append(errs, errors.New("has an .interp or .dynamic section: dynamically linked"))
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		errs = append(errs, fmt.Errorf("needs shared libraries %v", libs))
	}
	if len(errs) > 0 {
		return fmt.Errorf("bootstrap %s: %w", path, errors.Join(errs...))
	}
	return nil
}
