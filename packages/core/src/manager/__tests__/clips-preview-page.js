// Browser side of the hls.js preview test (served to Chromium by clips-helpers.ts#servePreview):
// plays the preview playlist with hls.js, seeks (paused) to `seekTo` and returns the gray levels
// of the frame-stamp strip on the picture shown, plus any fatal hls.js errors.
window.previewCheck = async ({ playlistUrl, seekTo, stripWidth, stripHeight }) => {
  const video = document.createElement('video');
  video.muted = true;
  document.body.appendChild(video);
  const errors = [];
  const hls = new window.Hls({ enableWorker: false });
  hls.on(window.Hls.Events.ERROR, (_event, data) => {
    if (data.fatal) errors.push(data.details);
  });
  hls.loadSource(playlistUrl);
  hls.attachMedia(video);
  const until = (event, ok) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timeout waiting for ${event}; errors: ${errors}`)),
        20_000,
      );
      const check = () => {
        if (ok()) {
          clearTimeout(timer);
          video.removeEventListener(event, check);
          resolve();
        }
      };
      video.addEventListener(event, check);
      check();
    });
  await video.play();
  await until('timeupdate', () => video.currentTime > 1);
  video.pause();
  video.currentTime = seekTo;
  await until(
    'seeked',
    () => !video.seeking && video.readyState >= 2 && Math.abs(video.currentTime - seekTo) < 0.01,
  );
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0);
  const rgba = context.getImageData(0, 0, stripWidth, stripHeight).data;
  const gray = [];
  for (let i = 0; i < rgba.length; i += 4) gray.push(Math.round((rgba[i] + rgba[i + 1] + rgba[i + 2]) / 3));
  const result = {
    errors,
    duration: video.duration,
    currentTime: video.currentTime,
    width: video.videoWidth,
    gray,
  };
  hls.destroy();
  return result;
};
