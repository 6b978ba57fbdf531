package analyzer

import (
	"math"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
)

// unknownSentinel is how Pulumi spells an unknown value on the wire
// (plugin.UnknownStringValue); normalize recognises it.
const unknownSentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

// maxPropDepth bounds recursion on hostile input.
const maxPropDepth = 64

// plainProps turns a PropertyMap into the JSON-like map a stack export
// holds (secrets, outputs, references and assets in Pulumi's signature
// form), so that normalize.NodesFromResource treats a preview's values
// exactly like the state collector treats a stack export: unknowns become
// unknown (never empty), secrets are never decrypted or kept.
func plainProps(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[string(k)] = plainValue(v, 0)
	}
	return out
}

func plainValue(v resource.PropertyValue, depth int) any {
	if depth > maxPropDepth {
		return unknownSentinel
	}
	switch {
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		f := v.NumberValue()
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f) // as the state collector decodes JSON integers
		}
		return f
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e, depth+1)
		}
		return out
	case v.IsObject():
		obj := v.ObjectValue()
		out := make(map[string]any, len(obj))
		for k, e := range obj {
			out[string(k)] = plainValue(e, depth+1)
		}
		return out
	case v.IsComputed():
		return unknownSentinel
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return map[string]any{sig.Key: sig.Secret}
		}
		if !o.Known {
			return unknownSentinel
		}
		return plainValue(o.Element, depth+1)
	case v.IsSecret():
		// The value is dropped here already: nothing downstream can print it.
		return map[string]any{sig.Key: sig.Secret}
	case v.IsResourceReference():
		ref := v.ResourceReferenceValue()
		out := map[string]any{sig.Key: sig.ResourceReference, "urn": string(ref.URN)}
		if id, ok := ref.IDString(); ok {
			out["id"] = id
		} else if ref.ID.IsComputed() || (ref.ID.IsOutput() && !ref.ID.OutputValue().Known) {
			out["id"] = unknownSentinel
		}
		return out
	case v.IsAsset():
		a := v.AssetValue()
		return map[string]any{sig.Key: sig.AssetSig, "path": a.Path, "uri": a.URI, "hash": a.Hash}
	case v.IsArchive():
		a := v.ArchiveValue()
		return map[string]any{sig.Key: sig.ArchiveSig, "path": a.Path, "uri": a.URI, "hash": a.Hash}
	}
	return unknownSentinel
}
