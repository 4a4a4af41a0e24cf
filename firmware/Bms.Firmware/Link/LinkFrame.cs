namespace Bms.Firmware.Link
{
    /// <summary>
    /// Framing of the simulation link between the replay tool and a board running the firmware without an AFE.
    /// <code>
    /// 0xA5 0x5A | type (1) | sequence (1) | payload length (2, LE) | payload | CRC-16/CCITT (2, LE) over type..payload
    /// </code>
    /// The sync pair lets a receiver find the next frame after garbage; the CRC rejects corrupted frames; the
    /// sequence number lets each side detect a lost or repeated frame (a reply carries the request's number).
    /// </summary>
    public static class LinkFrame
    {
        /// <summary>First sync byte.</summary>
        public const byte Sync1 = 0xA5;
        /// <summary>Second sync byte.</summary>
        public const byte Sync2 = 0x5A;
        /// <summary>Bytes before the payload.</summary>
        public const int HeaderBytes = 6;
        /// <summary>Bytes after the payload.</summary>
        public const int TrailerBytes = 2;
        /// <summary>Largest payload accepted (a 64-cell sample or a decision with its events fits).</summary>
        public const int MaxPayloadBytes = 1024;
        /// <summary>
        /// Frames are written in one piece, so a partial frame that has not grown for this long is abandoned
        /// (<see cref="LinkFrameReader.Abandon"/>): a corrupted length field must not swallow the frames after it.
        /// </summary>
        public const int StaleFrame_ms = 100;

        /// <summary>
        /// Writes a complete frame around the payload already placed at <c>frame[HeaderBytes..]</c>.
        /// Returns the frame length.
        /// </summary>
        public static int Seal(byte[] frame, byte type, byte sequence, int payloadLength)
        {
            frame[0] = Sync1;
            frame[1] = Sync2;
            frame[2] = type;
            frame[3] = sequence;
            frame[4] = (byte)payloadLength;
            frame[5] = (byte)(payloadLength >> 8);
            ushort crc = Crc16Ccitt.Compute(frame, 2, 4 + payloadLength);
            frame[HeaderBytes + payloadLength] = (byte)crc;
            frame[HeaderBytes + payloadLength + 1] = (byte)(crc >> 8);
            return HeaderBytes + payloadLength + TrailerBytes;
        }
    }

    /// <summary>
    /// Incremental frame receiver: feed it bytes as they arrive; it reports each complete, CRC-checked frame.
    /// Garbage and corrupted frames are skipped (counted) and the receiver resynchronises on the next sync pair.
    /// </summary>
    public sealed class LinkFrameReader
    {
        private readonly byte[] _frame = new byte[LinkFrame.HeaderBytes + LinkFrame.MaxPayloadBytes + LinkFrame.TrailerBytes];
        private int _filled;
        private int _expected;

        /// <summary>Frames rejected for a wrong CRC.</summary>
        public int CrcErrors { get; private set; }
        /// <summary>Frames rejected for an impossible length.</summary>
        public int LengthErrors { get; private set; }
        /// <summary>Partial frames abandoned because they stopped growing.</summary>
        public int StaleFrames { get; private set; }

        /// <summary>true while a frame has started but not completed.</summary>
        public bool InFrame { get { return _filled > 0; } }

        /// <summary>Drops a partial frame (counted in <see cref="StaleFrames"/>) and waits for the next sync pair.</summary>
        public void Abandon()
        {
            if (_filled > 0)
            {
                _filled = 0;
                StaleFrames++;
            }
        }

        /// <summary>Type of the last complete frame.</summary>
        public byte Type { get { return _frame[2]; } }
        /// <summary>Sequence number of the last complete frame.</summary>
        public byte Sequence { get { return _frame[3]; } }
        /// <summary>Payload length of the last complete frame.</summary>
        public int PayloadLength { get { return _frame[4] | (_frame[5] << 8); } }
        /// <summary>The frame buffer; the payload starts at <see cref="LinkFrame.HeaderBytes"/>.</summary>
        public byte[] Buffer { get { return _frame; } }

        /// <summary>Takes one byte; returns true when it completed a valid frame (read it before the next call).</summary>
        public bool Push(byte value)
        {
            if (_filled == 0)
            {
                if (value == LinkFrame.Sync1)
                {
                    _frame[_filled++] = value;
                }
                return false;
            }
            if (_filled == 1)
            {
                if (value == LinkFrame.Sync2)
                {
                    _frame[_filled++] = value;
                }
                else
                {
                    _filled = value == LinkFrame.Sync1 ? 1 : 0;
                }
                return false;
            }

            _frame[_filled++] = value;
            if (_filled == LinkFrame.HeaderBytes)
            {
                int length = PayloadLength;
                if (length > LinkFrame.MaxPayloadBytes)
                {
                    LengthErrors++;
                    _filled = 0;
                    return false;
                }
                _expected = LinkFrame.HeaderBytes + length + LinkFrame.TrailerBytes;
                return false;
            }
            if (_filled < LinkFrame.HeaderBytes || _filled < _expected)
            {
                return false;
            }

            _filled = 0;
            int payload = PayloadLength;
            ushort crc = Crc16Ccitt.Compute(_frame, 2, 4 + payload);
            int at = LinkFrame.HeaderBytes + payload;
            if (_frame[at] != (byte)crc || _frame[at + 1] != (byte)(crc >> 8))
            {
                CrcErrors++;
                return false;
            }
            return true;
        }
    }
}
