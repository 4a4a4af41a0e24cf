using System.IO.Ports;

namespace Bms.Hal.Nano
{
    /// <summary>ISerialChannel over an open nanoFramework SerialPort (the simulation link). Reads never block.</summary>
    public sealed class NanoSerialChannel : ISerialChannel
    {
        private readonly SerialPort _port;

        /// <summary>Uses <paramref name="port"/>, already open (e.g. <see cref="SerialLogSink.Port"/>).</summary>
        public NanoSerialChannel(SerialPort port)
        {
            _port = port;
        }

        /// <inheritdoc />
        public int Read(byte[] buffer, int offset, int count)
        {
            int waiting = _port.BytesToRead;
            if (waiting <= 0)
            {
                return 0;
            }
            return _port.Read(buffer, offset, waiting < count ? waiting : count);
        }

        /// <inheritdoc />
        public void Write(byte[] buffer, int offset, int count)
        {
            _port.Write(buffer, offset, count);
        }
    }
}
