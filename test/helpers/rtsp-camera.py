#!/usr/bin/python3
"""A test IP camera: GStreamer's RTSP server serving a live test pattern and tone.

H.264 (x264, SPS/PPS only in the SDP's sprop-parameter-sets unless --inband-sps) with AAC
(MPEG4-GENERIC), G.711 A-law or µ-law, or no audio; optional Basic or Digest authentication.
Prints "READY <port>" on stdout once it listens. Run with /usr/bin/python3 (Debian's, which has gi).
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

AUDIO = {
    "aac": "avenc_aac ! rtpmp4gpay name=pay1 pt=97",
    "pcma": "alawenc ! rtppcmapay name=pay1 pt=8",
    "pcmu": "mulawenc ! rtppcmupay name=pay1 pt=0",
}


def pipeline(args):
    video = (
        f"videotestsrc is-live=true pattern=ball ! video/x-raw,width={args.width},height={args.height},"
        f"framerate={args.fps}/1 ! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 "
        f"key-int-max={args.keyint} ! video/x-h264,profile=baseline ! "
        f"rtph264pay name=pay0 pt=96 config-interval={-1 if args.inband_sps else 0}"
    )
    if args.audio == "none":
        return f"( {video} )"
    rate = 8000 if args.audio in ("pcma", "pcmu") else 44100
    channels = 1 if args.audio in ("pcma", "pcmu") else 2
    audio = (
        f"audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! "
        f"audio/x-raw,rate={rate},channels={channels} ! {AUDIO[args.audio]}"
    )
    return f"( {video} {audio} )"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--audio", choices=["aac", "pcma", "pcmu", "none"], default="aac")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--keyint", type=int, default=30, help="frames between keyframes")
    parser.add_argument("--inband-sps", action="store_true", help="also send SPS/PPS before keyframes")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--auth", choices=["basic", "digest"], default="digest")
    parser.add_argument("--tcp-only", action="store_true", help="refuse UDP transport")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(pipeline(args))
    factory.set_shared(False)
    if args.tcp_only:
        factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)

    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "camera-user")
        if args.auth == "basic":
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ""), token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        else:
            auth.add_digest(args.user, args.password or "", token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_role("camera-user")
        permissions.add_permission_for_role("camera-user", "media.factory.access", True)
        permissions.add_permission_for_role("camera-user", "media.factory.construct", True)
        factory.set_permissions(permissions)

    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on {args.address}:{args.port}", file=sys.stderr)
        sys.exit(2)
    print(f"READY {server.get_bound_port()}", flush=True)

    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    loop.run()


if __name__ == "__main__":
    main()
