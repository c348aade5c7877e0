# nbconvert config used by scripts/run-notebooks.mjs (passed with --config).
# tslab reports a failed cell with an execute_reply that has status "error" but no ename, evalue or
# traceback: the JS error only went to the cell's stderr stream. nbclient builds its CellExecutionError
# from the reply, so the error message would show the cell source and nothing else. This hook copies
# the failing cell's stderr (and any error outputs) into the reply before nbclient raises.


def _tslab_error_into_reply(cell, cell_index, execute_reply):
    content = execute_reply["content"]
    if content.get("ename") or content.get("traceback"):
        return
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr")
    text += "".join("\n".join(o.get("traceback", [])) for o in cell.get("outputs", []) if o.get("output_type") == "error")
    content["ename"] = "tslab cell error"
    content["evalue"] = f"cell index {cell_index} (0-based, markdown cells counted), error text above"
    content["traceback"] = [text.rstrip() or "(the kernel gave no error text)"]


c.ExecutePreprocessor.on_cell_error = _tslab_error_into_reply  # noqa: F821 (c is provided by traitlets)
