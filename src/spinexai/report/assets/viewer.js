// spinexai case viewer: the cropped source CT with one explanation map at a time, in NiiVue.
// Each case page loads NiiVue (niivue.umd.js), its own data script (window.spinexaiVolumes[key])
// and this file; nothing is fetched, so the page works when opened from the file system.
(function () {
  "use strict";

  async function show(element) {
    const key = element.dataset.volumes;
    const data = (window.spinexaiVolumes || {})[key];
    const status = element.querySelector(".viewer-status");
    if (!data || !window.niivue) {
      status.textContent = "The viewer could not start: " + (window.niivue ? "no data for " + key : "NiiVue did not load") + ".";
      return;
    }
    const nv = new niivue.Niivue({ backColor: [0, 0, 0, 1], show3Dcrosshair: true, isResizeCanvas: true });
    await nv.attachToCanvas(element.querySelector("canvas"));
    const ct = await niivue.NVImage.loadFromBase64({ base64: data.ct, name: "ct.nii.gz", colormap: "gray",
                                                    cal_min: 0, cal_max: 255 });  // 8 bits over data.window_hu
    nv.addVolume(ct);
    const overlays = [];
    for (const map of data.maps) {
      const image = await niivue.NVImage.loadFromBase64({ base64: map.data, name: map.name + ".nii.gz", colormap: "warm",
                                                         cal_min: 25, cal_max: 255, opacity: 0 });
      nv.addVolume(image);
      overlays.push(image);
    }
    nv.setSliceType(nv.sliceTypeMultiplanar);
    const select = element.querySelector("select");
    const opacity = element.querySelector("input[type=range]");
    function choose() {
      overlays.forEach(function (image, n) { nv.setOpacity(n + 1, String(n) === select.value ? Number(opacity.value) : 0); });
      nv.drawScene();
    }
    select.addEventListener("change", choose);
    opacity.addEventListener("input", choose);
    choose();
    status.textContent = "CT and " + overlays.length + " map(s) loaded; scroll or click to move through the slices.";
    element.dataset.ready = String(overlays.length);
    element.viewer = { niivue: nv, choose: choose };
  }

  window.addEventListener("load", function () {
    document.querySelectorAll(".spinexai-viewer").forEach(function (element) {
      show(element).catch(function (err) {
        element.querySelector(".viewer-status").textContent = "The viewer failed: " + err;
        element.dataset.ready = "error";
      });
    });
  });
})();
