// danfojs-node imports xlsx at load time only for readExcel/toExcel, which this workbench never uses.
function disabled() {
  throw new Error("xlsx is stubbed in this workbench (vendor/xlsx-stub): use CSV or JSON instead of Excel");
}
module.exports = { read: disabled, readFile: disabled, write: disabled, writeFile: disabled, utils: new Proxy({}, { get: () => disabled }) };
