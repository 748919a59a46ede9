package dev.tributary.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Consumer groups' committed offsets.
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: tributary/v1/commit.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class CommitServiceGrpc {

  private CommitServiceGrpc() {}

  public static final String SERVICE_NAME = "tributary.v1.CommitService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.CommitRequest,
      dev.tributary.v1.CommitResponse> getCommitMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Commit",
      requestType = dev.tributary.v1.CommitRequest.class,
      responseType = dev.tributary.v1.CommitResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.CommitRequest,
      dev.tributary.v1.CommitResponse> getCommitMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.CommitRequest, dev.tributary.v1.CommitResponse> getCommitMethod;
    if ((getCommitMethod = CommitServiceGrpc.getCommitMethod) == null) {
      synchronized (CommitServiceGrpc.class) {
        if ((getCommitMethod = CommitServiceGrpc.getCommitMethod) == null) {
          CommitServiceGrpc.getCommitMethod = getCommitMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.CommitRequest, dev.tributary.v1.CommitResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Commit"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.CommitRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.CommitResponse.getDefaultInstance()))
              .setSchemaDescriptor(new CommitServiceMethodDescriptorSupplier("Commit"))
              .build();
        }
      }
    }
    return getCommitMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.FetchCommittedRequest,
      dev.tributary.v1.FetchCommittedResponse> getFetchCommittedMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "FetchCommitted",
      requestType = dev.tributary.v1.FetchCommittedRequest.class,
      responseType = dev.tributary.v1.FetchCommittedResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.FetchCommittedRequest,
      dev.tributary.v1.FetchCommittedResponse> getFetchCommittedMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.FetchCommittedRequest, dev.tributary.v1.FetchCommittedResponse> getFetchCommittedMethod;
    if ((getFetchCommittedMethod = CommitServiceGrpc.getFetchCommittedMethod) == null) {
      synchronized (CommitServiceGrpc.class) {
        if ((getFetchCommittedMethod = CommitServiceGrpc.getFetchCommittedMethod) == null) {
          CommitServiceGrpc.getFetchCommittedMethod = getFetchCommittedMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.FetchCommittedRequest, dev.tributary.v1.FetchCommittedResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "FetchCommitted"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.FetchCommittedRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.FetchCommittedResponse.getDefaultInstance()))
              .setSchemaDescriptor(new CommitServiceMethodDescriptorSupplier("FetchCommitted"))
              .build();
        }
      }
    }
    return getFetchCommittedMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static CommitServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<CommitServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<CommitServiceStub>() {
        @java.lang.Override
        public CommitServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new CommitServiceStub(channel, callOptions);
        }
      };
    return CommitServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static CommitServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<CommitServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<CommitServiceBlockingStub>() {
        @java.lang.Override
        public CommitServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new CommitServiceBlockingStub(channel, callOptions);
        }
      };
    return CommitServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static CommitServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<CommitServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<CommitServiceFutureStub>() {
        @java.lang.Override
        public CommitServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new CommitServiceFutureStub(channel, callOptions);
        }
      };
    return CommitServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Consumer groups' committed offsets.
   * </pre>
   */
  public static abstract class CommitServiceImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * Stores offsets for a group. A commit from a stale generation or an unknown
     * member is FAILED_PRECONDITION. Without member id and generation it is
     * accepted only while the group has no live members (tools' commits).
     * </pre>
     */
    public void commit(dev.tributary.v1.CommitRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.CommitResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCommitMethod(), responseObserver);
    }

    /**
     * <pre>
     * Reads a group's committed offsets.
     * </pre>
     */
    public void fetchCommitted(dev.tributary.v1.FetchCommittedRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.FetchCommittedResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFetchCommittedMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getCommitMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.CommitRequest,
                dev.tributary.v1.CommitResponse>(
                  this, METHODID_COMMIT)))
          .addMethod(
            getFetchCommittedMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.FetchCommittedRequest,
                dev.tributary.v1.FetchCommittedResponse>(
                  this, METHODID_FETCH_COMMITTED)))
          .build();
    }
  }

  /**
   * <pre>
   * Consumer groups' committed offsets.
   * </pre>
   */
  public static final class CommitServiceStub extends io.grpc.stub.AbstractAsyncStub<CommitServiceStub> {
    private CommitServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected CommitServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new CommitServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Stores offsets for a group. A commit from a stale generation or an unknown
     * member is FAILED_PRECONDITION. Without member id and generation it is
     * accepted only while the group has no live members (tools' commits).
     * </pre>
     */
    public void commit(dev.tributary.v1.CommitRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.CommitResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCommitMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Reads a group's committed offsets.
     * </pre>
     */
    public void fetchCommitted(dev.tributary.v1.FetchCommittedRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.FetchCommittedResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getFetchCommittedMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * <pre>
   * Consumer groups' committed offsets.
   * </pre>
   */
  public static final class CommitServiceBlockingStub extends io.grpc.stub.AbstractBlockingStub<CommitServiceBlockingStub> {
    private CommitServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected CommitServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new CommitServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Stores offsets for a group. A commit from a stale generation or an unknown
     * member is FAILED_PRECONDITION. Without member id and generation it is
     * accepted only while the group has no live members (tools' commits).
     * </pre>
     */
    public dev.tributary.v1.CommitResponse commit(dev.tributary.v1.CommitRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCommitMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Reads a group's committed offsets.
     * </pre>
     */
    public dev.tributary.v1.FetchCommittedResponse fetchCommitted(dev.tributary.v1.FetchCommittedRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getFetchCommittedMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * Consumer groups' committed offsets.
   * </pre>
   */
  public static final class CommitServiceFutureStub extends io.grpc.stub.AbstractFutureStub<CommitServiceFutureStub> {
    private CommitServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected CommitServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new CommitServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Stores offsets for a group. A commit from a stale generation or an unknown
     * member is FAILED_PRECONDITION. Without member id and generation it is
     * accepted only while the group has no live members (tools' commits).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.CommitResponse> commit(
        dev.tributary.v1.CommitRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCommitMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Reads a group's committed offsets.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.FetchCommittedResponse> fetchCommitted(
        dev.tributary.v1.FetchCommittedRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getFetchCommittedMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_COMMIT = 0;
  private static final int METHODID_FETCH_COMMITTED = 1;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final CommitServiceImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(CommitServiceImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_COMMIT:
          serviceImpl.commit((dev.tributary.v1.CommitRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.CommitResponse>) responseObserver);
          break;
        case METHODID_FETCH_COMMITTED:
          serviceImpl.fetchCommitted((dev.tributary.v1.FetchCommittedRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.FetchCommittedResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  private static abstract class CommitServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    CommitServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.tributary.v1.CommitProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("CommitService");
    }
  }

  private static final class CommitServiceFileDescriptorSupplier
      extends CommitServiceBaseDescriptorSupplier {
    CommitServiceFileDescriptorSupplier() {}
  }

  private static final class CommitServiceMethodDescriptorSupplier
      extends CommitServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    CommitServiceMethodDescriptorSupplier(String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (CommitServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new CommitServiceFileDescriptorSupplier())
              .addMethod(getCommitMethod())
              .addMethod(getFetchCommittedMethod())
              .build();
        }
      }
    }
    return result;
  }
}
