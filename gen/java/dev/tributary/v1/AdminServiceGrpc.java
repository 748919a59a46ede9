package dev.tributary.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Topics, offsets, groups and the cluster, for operators and tools.
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: tributary/v1/admin.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class AdminServiceGrpc {

  private AdminServiceGrpc() {}

  public static final String SERVICE_NAME = "tributary.v1.AdminService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.CreateTopicRequest,
      dev.tributary.v1.CreateTopicResponse> getCreateTopicMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateTopic",
      requestType = dev.tributary.v1.CreateTopicRequest.class,
      responseType = dev.tributary.v1.CreateTopicResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.CreateTopicRequest,
      dev.tributary.v1.CreateTopicResponse> getCreateTopicMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.CreateTopicRequest, dev.tributary.v1.CreateTopicResponse> getCreateTopicMethod;
    if ((getCreateTopicMethod = AdminServiceGrpc.getCreateTopicMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getCreateTopicMethod = AdminServiceGrpc.getCreateTopicMethod) == null) {
          AdminServiceGrpc.getCreateTopicMethod = getCreateTopicMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.CreateTopicRequest, dev.tributary.v1.CreateTopicResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateTopic"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.CreateTopicRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.CreateTopicResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("CreateTopic"))
              .build();
        }
      }
    }
    return getCreateTopicMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.DeleteTopicRequest,
      dev.tributary.v1.DeleteTopicResponse> getDeleteTopicMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteTopic",
      requestType = dev.tributary.v1.DeleteTopicRequest.class,
      responseType = dev.tributary.v1.DeleteTopicResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.DeleteTopicRequest,
      dev.tributary.v1.DeleteTopicResponse> getDeleteTopicMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.DeleteTopicRequest, dev.tributary.v1.DeleteTopicResponse> getDeleteTopicMethod;
    if ((getDeleteTopicMethod = AdminServiceGrpc.getDeleteTopicMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDeleteTopicMethod = AdminServiceGrpc.getDeleteTopicMethod) == null) {
          AdminServiceGrpc.getDeleteTopicMethod = getDeleteTopicMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.DeleteTopicRequest, dev.tributary.v1.DeleteTopicResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteTopic"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteTopicRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteTopicResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DeleteTopic"))
              .build();
        }
      }
    }
    return getDeleteTopicMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.ListTopicsRequest,
      dev.tributary.v1.ListTopicsResponse> getListTopicsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListTopics",
      requestType = dev.tributary.v1.ListTopicsRequest.class,
      responseType = dev.tributary.v1.ListTopicsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.ListTopicsRequest,
      dev.tributary.v1.ListTopicsResponse> getListTopicsMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.ListTopicsRequest, dev.tributary.v1.ListTopicsResponse> getListTopicsMethod;
    if ((getListTopicsMethod = AdminServiceGrpc.getListTopicsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListTopicsMethod = AdminServiceGrpc.getListTopicsMethod) == null) {
          AdminServiceGrpc.getListTopicsMethod = getListTopicsMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.ListTopicsRequest, dev.tributary.v1.ListTopicsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListTopics"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListTopicsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListTopicsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListTopics"))
              .build();
        }
      }
    }
    return getListTopicsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.DescribeTopicRequest,
      dev.tributary.v1.DescribeTopicResponse> getDescribeTopicMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DescribeTopic",
      requestType = dev.tributary.v1.DescribeTopicRequest.class,
      responseType = dev.tributary.v1.DescribeTopicResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.DescribeTopicRequest,
      dev.tributary.v1.DescribeTopicResponse> getDescribeTopicMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.DescribeTopicRequest, dev.tributary.v1.DescribeTopicResponse> getDescribeTopicMethod;
    if ((getDescribeTopicMethod = AdminServiceGrpc.getDescribeTopicMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDescribeTopicMethod = AdminServiceGrpc.getDescribeTopicMethod) == null) {
          AdminServiceGrpc.getDescribeTopicMethod = getDescribeTopicMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.DescribeTopicRequest, dev.tributary.v1.DescribeTopicResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DescribeTopic"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DescribeTopicRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DescribeTopicResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DescribeTopic"))
              .build();
        }
      }
    }
    return getDescribeTopicMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.CreatePartitionsRequest,
      dev.tributary.v1.CreatePartitionsResponse> getCreatePartitionsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreatePartitions",
      requestType = dev.tributary.v1.CreatePartitionsRequest.class,
      responseType = dev.tributary.v1.CreatePartitionsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.CreatePartitionsRequest,
      dev.tributary.v1.CreatePartitionsResponse> getCreatePartitionsMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.CreatePartitionsRequest, dev.tributary.v1.CreatePartitionsResponse> getCreatePartitionsMethod;
    if ((getCreatePartitionsMethod = AdminServiceGrpc.getCreatePartitionsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getCreatePartitionsMethod = AdminServiceGrpc.getCreatePartitionsMethod) == null) {
          AdminServiceGrpc.getCreatePartitionsMethod = getCreatePartitionsMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.CreatePartitionsRequest, dev.tributary.v1.CreatePartitionsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreatePartitions"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.CreatePartitionsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.CreatePartitionsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("CreatePartitions"))
              .build();
        }
      }
    }
    return getCreatePartitionsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.UpdateTopicConfigRequest,
      dev.tributary.v1.UpdateTopicConfigResponse> getUpdateTopicConfigMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "UpdateTopicConfig",
      requestType = dev.tributary.v1.UpdateTopicConfigRequest.class,
      responseType = dev.tributary.v1.UpdateTopicConfigResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.UpdateTopicConfigRequest,
      dev.tributary.v1.UpdateTopicConfigResponse> getUpdateTopicConfigMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.UpdateTopicConfigRequest, dev.tributary.v1.UpdateTopicConfigResponse> getUpdateTopicConfigMethod;
    if ((getUpdateTopicConfigMethod = AdminServiceGrpc.getUpdateTopicConfigMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getUpdateTopicConfigMethod = AdminServiceGrpc.getUpdateTopicConfigMethod) == null) {
          AdminServiceGrpc.getUpdateTopicConfigMethod = getUpdateTopicConfigMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.UpdateTopicConfigRequest, dev.tributary.v1.UpdateTopicConfigResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "UpdateTopicConfig"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.UpdateTopicConfigRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.UpdateTopicConfigResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("UpdateTopicConfig"))
              .build();
        }
      }
    }
    return getUpdateTopicConfigMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.ListOffsetsRequest,
      dev.tributary.v1.ListOffsetsResponse> getListOffsetsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListOffsets",
      requestType = dev.tributary.v1.ListOffsetsRequest.class,
      responseType = dev.tributary.v1.ListOffsetsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.ListOffsetsRequest,
      dev.tributary.v1.ListOffsetsResponse> getListOffsetsMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.ListOffsetsRequest, dev.tributary.v1.ListOffsetsResponse> getListOffsetsMethod;
    if ((getListOffsetsMethod = AdminServiceGrpc.getListOffsetsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListOffsetsMethod = AdminServiceGrpc.getListOffsetsMethod) == null) {
          AdminServiceGrpc.getListOffsetsMethod = getListOffsetsMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.ListOffsetsRequest, dev.tributary.v1.ListOffsetsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListOffsets"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListOffsetsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListOffsetsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListOffsets"))
              .build();
        }
      }
    }
    return getListOffsetsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.DeleteRecordsRequest,
      dev.tributary.v1.DeleteRecordsResponse> getDeleteRecordsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteRecords",
      requestType = dev.tributary.v1.DeleteRecordsRequest.class,
      responseType = dev.tributary.v1.DeleteRecordsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.DeleteRecordsRequest,
      dev.tributary.v1.DeleteRecordsResponse> getDeleteRecordsMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.DeleteRecordsRequest, dev.tributary.v1.DeleteRecordsResponse> getDeleteRecordsMethod;
    if ((getDeleteRecordsMethod = AdminServiceGrpc.getDeleteRecordsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDeleteRecordsMethod = AdminServiceGrpc.getDeleteRecordsMethod) == null) {
          AdminServiceGrpc.getDeleteRecordsMethod = getDeleteRecordsMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.DeleteRecordsRequest, dev.tributary.v1.DeleteRecordsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteRecords"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteRecordsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteRecordsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DeleteRecords"))
              .build();
        }
      }
    }
    return getDeleteRecordsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.DescribeClusterRequest,
      dev.tributary.v1.DescribeClusterResponse> getDescribeClusterMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DescribeCluster",
      requestType = dev.tributary.v1.DescribeClusterRequest.class,
      responseType = dev.tributary.v1.DescribeClusterResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.DescribeClusterRequest,
      dev.tributary.v1.DescribeClusterResponse> getDescribeClusterMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.DescribeClusterRequest, dev.tributary.v1.DescribeClusterResponse> getDescribeClusterMethod;
    if ((getDescribeClusterMethod = AdminServiceGrpc.getDescribeClusterMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDescribeClusterMethod = AdminServiceGrpc.getDescribeClusterMethod) == null) {
          AdminServiceGrpc.getDescribeClusterMethod = getDescribeClusterMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.DescribeClusterRequest, dev.tributary.v1.DescribeClusterResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DescribeCluster"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DescribeClusterRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DescribeClusterResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DescribeCluster"))
              .build();
        }
      }
    }
    return getDescribeClusterMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.ListGroupsRequest,
      dev.tributary.v1.ListGroupsResponse> getListGroupsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListGroups",
      requestType = dev.tributary.v1.ListGroupsRequest.class,
      responseType = dev.tributary.v1.ListGroupsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.ListGroupsRequest,
      dev.tributary.v1.ListGroupsResponse> getListGroupsMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.ListGroupsRequest, dev.tributary.v1.ListGroupsResponse> getListGroupsMethod;
    if ((getListGroupsMethod = AdminServiceGrpc.getListGroupsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListGroupsMethod = AdminServiceGrpc.getListGroupsMethod) == null) {
          AdminServiceGrpc.getListGroupsMethod = getListGroupsMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.ListGroupsRequest, dev.tributary.v1.ListGroupsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListGroups"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListGroupsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListGroupsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListGroups"))
              .build();
        }
      }
    }
    return getListGroupsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.DescribeGroupRequest,
      dev.tributary.v1.DescribeGroupResponse> getDescribeGroupMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DescribeGroup",
      requestType = dev.tributary.v1.DescribeGroupRequest.class,
      responseType = dev.tributary.v1.DescribeGroupResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.DescribeGroupRequest,
      dev.tributary.v1.DescribeGroupResponse> getDescribeGroupMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.DescribeGroupRequest, dev.tributary.v1.DescribeGroupResponse> getDescribeGroupMethod;
    if ((getDescribeGroupMethod = AdminServiceGrpc.getDescribeGroupMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDescribeGroupMethod = AdminServiceGrpc.getDescribeGroupMethod) == null) {
          AdminServiceGrpc.getDescribeGroupMethod = getDescribeGroupMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.DescribeGroupRequest, dev.tributary.v1.DescribeGroupResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DescribeGroup"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DescribeGroupRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DescribeGroupResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DescribeGroup"))
              .build();
        }
      }
    }
    return getDescribeGroupMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.ResetGroupOffsetsRequest,
      dev.tributary.v1.ResetGroupOffsetsResponse> getResetGroupOffsetsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ResetGroupOffsets",
      requestType = dev.tributary.v1.ResetGroupOffsetsRequest.class,
      responseType = dev.tributary.v1.ResetGroupOffsetsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.ResetGroupOffsetsRequest,
      dev.tributary.v1.ResetGroupOffsetsResponse> getResetGroupOffsetsMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.ResetGroupOffsetsRequest, dev.tributary.v1.ResetGroupOffsetsResponse> getResetGroupOffsetsMethod;
    if ((getResetGroupOffsetsMethod = AdminServiceGrpc.getResetGroupOffsetsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getResetGroupOffsetsMethod = AdminServiceGrpc.getResetGroupOffsetsMethod) == null) {
          AdminServiceGrpc.getResetGroupOffsetsMethod = getResetGroupOffsetsMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.ResetGroupOffsetsRequest, dev.tributary.v1.ResetGroupOffsetsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ResetGroupOffsets"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ResetGroupOffsetsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ResetGroupOffsetsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ResetGroupOffsets"))
              .build();
        }
      }
    }
    return getResetGroupOffsetsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.DeleteGroupRequest,
      dev.tributary.v1.DeleteGroupResponse> getDeleteGroupMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteGroup",
      requestType = dev.tributary.v1.DeleteGroupRequest.class,
      responseType = dev.tributary.v1.DeleteGroupResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.DeleteGroupRequest,
      dev.tributary.v1.DeleteGroupResponse> getDeleteGroupMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.DeleteGroupRequest, dev.tributary.v1.DeleteGroupResponse> getDeleteGroupMethod;
    if ((getDeleteGroupMethod = AdminServiceGrpc.getDeleteGroupMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDeleteGroupMethod = AdminServiceGrpc.getDeleteGroupMethod) == null) {
          AdminServiceGrpc.getDeleteGroupMethod = getDeleteGroupMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.DeleteGroupRequest, dev.tributary.v1.DeleteGroupResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteGroup"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteGroupRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteGroupResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DeleteGroup"))
              .build();
        }
      }
    }
    return getDeleteGroupMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.FindCoordinatorRequest,
      dev.tributary.v1.FindCoordinatorResponse> getFindCoordinatorMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "FindCoordinator",
      requestType = dev.tributary.v1.FindCoordinatorRequest.class,
      responseType = dev.tributary.v1.FindCoordinatorResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.FindCoordinatorRequest,
      dev.tributary.v1.FindCoordinatorResponse> getFindCoordinatorMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.FindCoordinatorRequest, dev.tributary.v1.FindCoordinatorResponse> getFindCoordinatorMethod;
    if ((getFindCoordinatorMethod = AdminServiceGrpc.getFindCoordinatorMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getFindCoordinatorMethod = AdminServiceGrpc.getFindCoordinatorMethod) == null) {
          AdminServiceGrpc.getFindCoordinatorMethod = getFindCoordinatorMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.FindCoordinatorRequest, dev.tributary.v1.FindCoordinatorResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "FindCoordinator"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.FindCoordinatorRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.FindCoordinatorResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("FindCoordinator"))
              .build();
        }
      }
    }
    return getFindCoordinatorMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.ListAclsRequest,
      dev.tributary.v1.ListAclsResponse> getListAclsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListAcls",
      requestType = dev.tributary.v1.ListAclsRequest.class,
      responseType = dev.tributary.v1.ListAclsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.ListAclsRequest,
      dev.tributary.v1.ListAclsResponse> getListAclsMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.ListAclsRequest, dev.tributary.v1.ListAclsResponse> getListAclsMethod;
    if ((getListAclsMethod = AdminServiceGrpc.getListAclsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListAclsMethod = AdminServiceGrpc.getListAclsMethod) == null) {
          AdminServiceGrpc.getListAclsMethod = getListAclsMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.ListAclsRequest, dev.tributary.v1.ListAclsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListAcls"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListAclsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListAclsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListAcls"))
              .build();
        }
      }
    }
    return getListAclsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.CreateAclsRequest,
      dev.tributary.v1.CreateAclsResponse> getCreateAclsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateAcls",
      requestType = dev.tributary.v1.CreateAclsRequest.class,
      responseType = dev.tributary.v1.CreateAclsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.CreateAclsRequest,
      dev.tributary.v1.CreateAclsResponse> getCreateAclsMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.CreateAclsRequest, dev.tributary.v1.CreateAclsResponse> getCreateAclsMethod;
    if ((getCreateAclsMethod = AdminServiceGrpc.getCreateAclsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getCreateAclsMethod = AdminServiceGrpc.getCreateAclsMethod) == null) {
          AdminServiceGrpc.getCreateAclsMethod = getCreateAclsMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.CreateAclsRequest, dev.tributary.v1.CreateAclsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateAcls"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.CreateAclsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.CreateAclsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("CreateAcls"))
              .build();
        }
      }
    }
    return getCreateAclsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.DeleteAclsRequest,
      dev.tributary.v1.DeleteAclsResponse> getDeleteAclsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteAcls",
      requestType = dev.tributary.v1.DeleteAclsRequest.class,
      responseType = dev.tributary.v1.DeleteAclsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.DeleteAclsRequest,
      dev.tributary.v1.DeleteAclsResponse> getDeleteAclsMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.DeleteAclsRequest, dev.tributary.v1.DeleteAclsResponse> getDeleteAclsMethod;
    if ((getDeleteAclsMethod = AdminServiceGrpc.getDeleteAclsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDeleteAclsMethod = AdminServiceGrpc.getDeleteAclsMethod) == null) {
          AdminServiceGrpc.getDeleteAclsMethod = getDeleteAclsMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.DeleteAclsRequest, dev.tributary.v1.DeleteAclsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteAcls"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteAclsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteAclsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DeleteAcls"))
              .build();
        }
      }
    }
    return getDeleteAclsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.ListTokensRequest,
      dev.tributary.v1.ListTokensResponse> getListTokensMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListTokens",
      requestType = dev.tributary.v1.ListTokensRequest.class,
      responseType = dev.tributary.v1.ListTokensResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.ListTokensRequest,
      dev.tributary.v1.ListTokensResponse> getListTokensMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.ListTokensRequest, dev.tributary.v1.ListTokensResponse> getListTokensMethod;
    if ((getListTokensMethod = AdminServiceGrpc.getListTokensMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListTokensMethod = AdminServiceGrpc.getListTokensMethod) == null) {
          AdminServiceGrpc.getListTokensMethod = getListTokensMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.ListTokensRequest, dev.tributary.v1.ListTokensResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListTokens"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListTokensRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListTokensResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListTokens"))
              .build();
        }
      }
    }
    return getListTokensMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.CreateTokenRequest,
      dev.tributary.v1.CreateTokenResponse> getCreateTokenMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateToken",
      requestType = dev.tributary.v1.CreateTokenRequest.class,
      responseType = dev.tributary.v1.CreateTokenResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.CreateTokenRequest,
      dev.tributary.v1.CreateTokenResponse> getCreateTokenMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.CreateTokenRequest, dev.tributary.v1.CreateTokenResponse> getCreateTokenMethod;
    if ((getCreateTokenMethod = AdminServiceGrpc.getCreateTokenMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getCreateTokenMethod = AdminServiceGrpc.getCreateTokenMethod) == null) {
          AdminServiceGrpc.getCreateTokenMethod = getCreateTokenMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.CreateTokenRequest, dev.tributary.v1.CreateTokenResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateToken"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.CreateTokenRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.CreateTokenResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("CreateToken"))
              .build();
        }
      }
    }
    return getCreateTokenMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.DeleteTokenRequest,
      dev.tributary.v1.DeleteTokenResponse> getDeleteTokenMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteToken",
      requestType = dev.tributary.v1.DeleteTokenRequest.class,
      responseType = dev.tributary.v1.DeleteTokenResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.DeleteTokenRequest,
      dev.tributary.v1.DeleteTokenResponse> getDeleteTokenMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.DeleteTokenRequest, dev.tributary.v1.DeleteTokenResponse> getDeleteTokenMethod;
    if ((getDeleteTokenMethod = AdminServiceGrpc.getDeleteTokenMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDeleteTokenMethod = AdminServiceGrpc.getDeleteTokenMethod) == null) {
          AdminServiceGrpc.getDeleteTokenMethod = getDeleteTokenMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.DeleteTokenRequest, dev.tributary.v1.DeleteTokenResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteToken"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteTokenRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteTokenResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DeleteToken"))
              .build();
        }
      }
    }
    return getDeleteTokenMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.ListQuotasRequest,
      dev.tributary.v1.ListQuotasResponse> getListQuotasMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListQuotas",
      requestType = dev.tributary.v1.ListQuotasRequest.class,
      responseType = dev.tributary.v1.ListQuotasResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.ListQuotasRequest,
      dev.tributary.v1.ListQuotasResponse> getListQuotasMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.ListQuotasRequest, dev.tributary.v1.ListQuotasResponse> getListQuotasMethod;
    if ((getListQuotasMethod = AdminServiceGrpc.getListQuotasMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListQuotasMethod = AdminServiceGrpc.getListQuotasMethod) == null) {
          AdminServiceGrpc.getListQuotasMethod = getListQuotasMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.ListQuotasRequest, dev.tributary.v1.ListQuotasResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListQuotas"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListQuotasRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.ListQuotasResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListQuotas"))
              .build();
        }
      }
    }
    return getListQuotasMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.SetQuotaRequest,
      dev.tributary.v1.SetQuotaResponse> getSetQuotaMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SetQuota",
      requestType = dev.tributary.v1.SetQuotaRequest.class,
      responseType = dev.tributary.v1.SetQuotaResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.SetQuotaRequest,
      dev.tributary.v1.SetQuotaResponse> getSetQuotaMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.SetQuotaRequest, dev.tributary.v1.SetQuotaResponse> getSetQuotaMethod;
    if ((getSetQuotaMethod = AdminServiceGrpc.getSetQuotaMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getSetQuotaMethod = AdminServiceGrpc.getSetQuotaMethod) == null) {
          AdminServiceGrpc.getSetQuotaMethod = getSetQuotaMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.SetQuotaRequest, dev.tributary.v1.SetQuotaResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SetQuota"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.SetQuotaRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.SetQuotaResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("SetQuota"))
              .build();
        }
      }
    }
    return getSetQuotaMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.DeleteQuotaRequest,
      dev.tributary.v1.DeleteQuotaResponse> getDeleteQuotaMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteQuota",
      requestType = dev.tributary.v1.DeleteQuotaRequest.class,
      responseType = dev.tributary.v1.DeleteQuotaResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.DeleteQuotaRequest,
      dev.tributary.v1.DeleteQuotaResponse> getDeleteQuotaMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.DeleteQuotaRequest, dev.tributary.v1.DeleteQuotaResponse> getDeleteQuotaMethod;
    if ((getDeleteQuotaMethod = AdminServiceGrpc.getDeleteQuotaMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDeleteQuotaMethod = AdminServiceGrpc.getDeleteQuotaMethod) == null) {
          AdminServiceGrpc.getDeleteQuotaMethod = getDeleteQuotaMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.DeleteQuotaRequest, dev.tributary.v1.DeleteQuotaResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteQuota"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteQuotaRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.DeleteQuotaResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DeleteQuota"))
              .build();
        }
      }
    }
    return getDeleteQuotaMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static AdminServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminServiceStub>() {
        @java.lang.Override
        public AdminServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminServiceStub(channel, callOptions);
        }
      };
    return AdminServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static AdminServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminServiceBlockingStub>() {
        @java.lang.Override
        public AdminServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminServiceBlockingStub(channel, callOptions);
        }
      };
    return AdminServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static AdminServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminServiceFutureStub>() {
        @java.lang.Override
        public AdminServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminServiceFutureStub(channel, callOptions);
        }
      };
    return AdminServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Topics, offsets, groups and the cluster, for operators and tools.
   * </pre>
   */
  public static abstract class AdminServiceImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * Creates a topic. ALREADY_EXISTS when the name is taken.
     * </pre>
     */
    public void createTopic(dev.tributary.v1.CreateTopicRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.CreateTopicResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateTopicMethod(), responseObserver);
    }

    /**
     * <pre>
     * Deletes a topic and all its data.
     * </pre>
     */
    public void deleteTopic(dev.tributary.v1.DeleteTopicRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteTopicResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteTopicMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists topics.
     * </pre>
     */
    public void listTopics(dev.tributary.v1.ListTopicsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListTopicsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListTopicsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Describes a topic: its effective config and each partition's offsets and size.
     * </pre>
     */
    public void describeTopic(dev.tributary.v1.DescribeTopicRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DescribeTopicResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDescribeTopicMethod(), responseObserver);
    }

    /**
     * <pre>
     * Raises a topic's partition count. Existing keys may map to other partitions
     * afterwards, as in Kafka.
     * </pre>
     */
    public void createPartitions(dev.tributary.v1.CreatePartitionsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.CreatePartitionsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreatePartitionsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Changes a topic's config: the fields set in `config` replace the current
     * ones, the rest stay.
     * </pre>
     */
    public void updateTopicConfig(dev.tributary.v1.UpdateTopicConfigRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.UpdateTopicConfigResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getUpdateTopicConfigMethod(), responseObserver);
    }

    /**
     * <pre>
     * Finds the offset for a timestamp, or the earliest or latest offset.
     * </pre>
     */
    public void listOffsets(dev.tributary.v1.ListOffsetsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListOffsetsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListOffsetsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Deletes every record below an offset by advancing the log start offset.
     * </pre>
     */
    public void deleteRecords(dev.tributary.v1.DeleteRecordsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteRecordsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteRecordsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Describes the cluster: its brokers.
     * </pre>
     */
    public void describeCluster(dev.tributary.v1.DescribeClusterRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DescribeClusterResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDescribeClusterMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists consumer groups.
     * </pre>
     */
    public void listGroups(dev.tributary.v1.ListGroupsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListGroupsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListGroupsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Describes a consumer group: members, assignment, offsets and lag.
     * </pre>
     */
    public void describeGroup(dev.tributary.v1.DescribeGroupRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DescribeGroupResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDescribeGroupMethod(), responseObserver);
    }

    /**
     * <pre>
     * Moves a group's committed offsets; only while the group has no members.
     * </pre>
     */
    public void resetGroupOffsets(dev.tributary.v1.ResetGroupOffsetsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ResetGroupOffsetsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getResetGroupOffsetsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Deletes a consumer group and its offsets; only while it has no members.
     * </pre>
     */
    public void deleteGroup(dev.tributary.v1.DeleteGroupRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteGroupResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteGroupMethod(), responseObserver);
    }

    /**
     * <pre>
     * Where a group's coordinator is: the broker leading the group's partition of
     * __consumer_offsets. A single broker names itself. UNAVAILABLE with
     * COORDINATOR_NOT_AVAILABLE while that partition has no leader (or the offsets
     * topic cannot be created yet).
     * </pre>
     */
    public void findCoordinator(dev.tributary.v1.FindCoordinatorRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.FindCoordinatorResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFindCoordinatorMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists the allow rules. In cluster mode they live in etcd and are the same on
     * every broker; a single broker reads them from its config file.
     * </pre>
     */
    public void listAcls(dev.tributary.v1.ListAclsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListAclsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListAclsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Adds allow rules (a rule already present is kept once). Cluster mode only; a
     * single broker answers FAILED_PRECONDITION/SECURITY_CONFIG_READ_ONLY.
     * </pre>
     */
    public void createAcls(dev.tributary.v1.CreateAclsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.CreateAclsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateAclsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Removes the rules equal to the given ones. Cluster mode only.
     * </pre>
     */
    public void deleteAcls(dev.tributary.v1.DeleteAclsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteAclsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteAclsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists the bearer tokens: principal and SHA-256, never the token text.
     * </pre>
     */
    public void listTokens(dev.tributary.v1.ListTokensRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListTokensResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListTokensMethod(), responseObserver);
    }

    /**
     * <pre>
     * Adds a bearer token for a principal. Cluster mode only.
     * </pre>
     */
    public void createToken(dev.tributary.v1.CreateTokenRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.CreateTokenResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateTokenMethod(), responseObserver);
    }

    /**
     * <pre>
     * Removes bearer tokens. Cluster mode only.
     * </pre>
     */
    public void deleteToken(dev.tributary.v1.DeleteTokenRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteTokenResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteTokenMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists the per-principal byte-rate quotas.
     * </pre>
     */
    public void listQuotas(dev.tributary.v1.ListQuotasRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListQuotasResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListQuotasMethod(), responseObserver);
    }

    /**
     * <pre>
     * Sets (replaces) one principal's quota. Cluster mode only.
     * </pre>
     */
    public void setQuota(dev.tributary.v1.SetQuotaRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.SetQuotaResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSetQuotaMethod(), responseObserver);
    }

    /**
     * <pre>
     * Removes one principal's quota. Cluster mode only.
     * </pre>
     */
    public void deleteQuota(dev.tributary.v1.DeleteQuotaRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteQuotaResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteQuotaMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getCreateTopicMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.CreateTopicRequest,
                dev.tributary.v1.CreateTopicResponse>(
                  this, METHODID_CREATE_TOPIC)))
          .addMethod(
            getDeleteTopicMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.DeleteTopicRequest,
                dev.tributary.v1.DeleteTopicResponse>(
                  this, METHODID_DELETE_TOPIC)))
          .addMethod(
            getListTopicsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.ListTopicsRequest,
                dev.tributary.v1.ListTopicsResponse>(
                  this, METHODID_LIST_TOPICS)))
          .addMethod(
            getDescribeTopicMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.DescribeTopicRequest,
                dev.tributary.v1.DescribeTopicResponse>(
                  this, METHODID_DESCRIBE_TOPIC)))
          .addMethod(
            getCreatePartitionsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.CreatePartitionsRequest,
                dev.tributary.v1.CreatePartitionsResponse>(
                  this, METHODID_CREATE_PARTITIONS)))
          .addMethod(
            getUpdateTopicConfigMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.UpdateTopicConfigRequest,
                dev.tributary.v1.UpdateTopicConfigResponse>(
                  this, METHODID_UPDATE_TOPIC_CONFIG)))
          .addMethod(
            getListOffsetsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.ListOffsetsRequest,
                dev.tributary.v1.ListOffsetsResponse>(
                  this, METHODID_LIST_OFFSETS)))
          .addMethod(
            getDeleteRecordsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.DeleteRecordsRequest,
                dev.tributary.v1.DeleteRecordsResponse>(
                  this, METHODID_DELETE_RECORDS)))
          .addMethod(
            getDescribeClusterMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.DescribeClusterRequest,
                dev.tributary.v1.DescribeClusterResponse>(
                  this, METHODID_DESCRIBE_CLUSTER)))
          .addMethod(
            getListGroupsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.ListGroupsRequest,
                dev.tributary.v1.ListGroupsResponse>(
                  this, METHODID_LIST_GROUPS)))
          .addMethod(
            getDescribeGroupMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.DescribeGroupRequest,
                dev.tributary.v1.DescribeGroupResponse>(
                  this, METHODID_DESCRIBE_GROUP)))
          .addMethod(
            getResetGroupOffsetsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.ResetGroupOffsetsRequest,
                dev.tributary.v1.ResetGroupOffsetsResponse>(
                  this, METHODID_RESET_GROUP_OFFSETS)))
          .addMethod(
            getDeleteGroupMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.DeleteGroupRequest,
                dev.tributary.v1.DeleteGroupResponse>(
                  this, METHODID_DELETE_GROUP)))
          .addMethod(
            getFindCoordinatorMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.FindCoordinatorRequest,
                dev.tributary.v1.FindCoordinatorResponse>(
                  this, METHODID_FIND_COORDINATOR)))
          .addMethod(
            getListAclsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.ListAclsRequest,
                dev.tributary.v1.ListAclsResponse>(
                  this, METHODID_LIST_ACLS)))
          .addMethod(
            getCreateAclsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.CreateAclsRequest,
                dev.tributary.v1.CreateAclsResponse>(
                  this, METHODID_CREATE_ACLS)))
          .addMethod(
            getDeleteAclsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.DeleteAclsRequest,
                dev.tributary.v1.DeleteAclsResponse>(
                  this, METHODID_DELETE_ACLS)))
          .addMethod(
            getListTokensMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.ListTokensRequest,
                dev.tributary.v1.ListTokensResponse>(
                  this, METHODID_LIST_TOKENS)))
          .addMethod(
            getCreateTokenMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.CreateTokenRequest,
                dev.tributary.v1.CreateTokenResponse>(
                  this, METHODID_CREATE_TOKEN)))
          .addMethod(
            getDeleteTokenMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.DeleteTokenRequest,
                dev.tributary.v1.DeleteTokenResponse>(
                  this, METHODID_DELETE_TOKEN)))
          .addMethod(
            getListQuotasMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.ListQuotasRequest,
                dev.tributary.v1.ListQuotasResponse>(
                  this, METHODID_LIST_QUOTAS)))
          .addMethod(
            getSetQuotaMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.SetQuotaRequest,
                dev.tributary.v1.SetQuotaResponse>(
                  this, METHODID_SET_QUOTA)))
          .addMethod(
            getDeleteQuotaMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.DeleteQuotaRequest,
                dev.tributary.v1.DeleteQuotaResponse>(
                  this, METHODID_DELETE_QUOTA)))
          .build();
    }
  }

  /**
   * <pre>
   * Topics, offsets, groups and the cluster, for operators and tools.
   * </pre>
   */
  public static final class AdminServiceStub extends io.grpc.stub.AbstractAsyncStub<AdminServiceStub> {
    private AdminServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a topic. ALREADY_EXISTS when the name is taken.
     * </pre>
     */
    public void createTopic(dev.tributary.v1.CreateTopicRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.CreateTopicResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateTopicMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Deletes a topic and all its data.
     * </pre>
     */
    public void deleteTopic(dev.tributary.v1.DeleteTopicRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteTopicResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteTopicMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists topics.
     * </pre>
     */
    public void listTopics(dev.tributary.v1.ListTopicsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListTopicsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListTopicsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Describes a topic: its effective config and each partition's offsets and size.
     * </pre>
     */
    public void describeTopic(dev.tributary.v1.DescribeTopicRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DescribeTopicResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDescribeTopicMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Raises a topic's partition count. Existing keys may map to other partitions
     * afterwards, as in Kafka.
     * </pre>
     */
    public void createPartitions(dev.tributary.v1.CreatePartitionsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.CreatePartitionsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreatePartitionsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Changes a topic's config: the fields set in `config` replace the current
     * ones, the rest stay.
     * </pre>
     */
    public void updateTopicConfig(dev.tributary.v1.UpdateTopicConfigRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.UpdateTopicConfigResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getUpdateTopicConfigMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Finds the offset for a timestamp, or the earliest or latest offset.
     * </pre>
     */
    public void listOffsets(dev.tributary.v1.ListOffsetsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListOffsetsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListOffsetsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Deletes every record below an offset by advancing the log start offset.
     * </pre>
     */
    public void deleteRecords(dev.tributary.v1.DeleteRecordsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteRecordsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteRecordsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Describes the cluster: its brokers.
     * </pre>
     */
    public void describeCluster(dev.tributary.v1.DescribeClusterRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DescribeClusterResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDescribeClusterMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists consumer groups.
     * </pre>
     */
    public void listGroups(dev.tributary.v1.ListGroupsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListGroupsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListGroupsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Describes a consumer group: members, assignment, offsets and lag.
     * </pre>
     */
    public void describeGroup(dev.tributary.v1.DescribeGroupRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DescribeGroupResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDescribeGroupMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Moves a group's committed offsets; only while the group has no members.
     * </pre>
     */
    public void resetGroupOffsets(dev.tributary.v1.ResetGroupOffsetsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ResetGroupOffsetsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getResetGroupOffsetsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Deletes a consumer group and its offsets; only while it has no members.
     * </pre>
     */
    public void deleteGroup(dev.tributary.v1.DeleteGroupRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteGroupResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteGroupMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Where a group's coordinator is: the broker leading the group's partition of
     * __consumer_offsets. A single broker names itself. UNAVAILABLE with
     * COORDINATOR_NOT_AVAILABLE while that partition has no leader (or the offsets
     * topic cannot be created yet).
     * </pre>
     */
    public void findCoordinator(dev.tributary.v1.FindCoordinatorRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.FindCoordinatorResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getFindCoordinatorMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists the allow rules. In cluster mode they live in etcd and are the same on
     * every broker; a single broker reads them from its config file.
     * </pre>
     */
    public void listAcls(dev.tributary.v1.ListAclsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListAclsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListAclsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Adds allow rules (a rule already present is kept once). Cluster mode only; a
     * single broker answers FAILED_PRECONDITION/SECURITY_CONFIG_READ_ONLY.
     * </pre>
     */
    public void createAcls(dev.tributary.v1.CreateAclsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.CreateAclsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateAclsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Removes the rules equal to the given ones. Cluster mode only.
     * </pre>
     */
    public void deleteAcls(dev.tributary.v1.DeleteAclsRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteAclsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteAclsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists the bearer tokens: principal and SHA-256, never the token text.
     * </pre>
     */
    public void listTokens(dev.tributary.v1.ListTokensRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListTokensResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListTokensMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Adds a bearer token for a principal. Cluster mode only.
     * </pre>
     */
    public void createToken(dev.tributary.v1.CreateTokenRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.CreateTokenResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateTokenMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Removes bearer tokens. Cluster mode only.
     * </pre>
     */
    public void deleteToken(dev.tributary.v1.DeleteTokenRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteTokenResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteTokenMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists the per-principal byte-rate quotas.
     * </pre>
     */
    public void listQuotas(dev.tributary.v1.ListQuotasRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.ListQuotasResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListQuotasMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Sets (replaces) one principal's quota. Cluster mode only.
     * </pre>
     */
    public void setQuota(dev.tributary.v1.SetQuotaRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.SetQuotaResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSetQuotaMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Removes one principal's quota. Cluster mode only.
     * </pre>
     */
    public void deleteQuota(dev.tributary.v1.DeleteQuotaRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteQuotaResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteQuotaMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * <pre>
   * Topics, offsets, groups and the cluster, for operators and tools.
   * </pre>
   */
  public static final class AdminServiceBlockingStub extends io.grpc.stub.AbstractBlockingStub<AdminServiceBlockingStub> {
    private AdminServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a topic. ALREADY_EXISTS when the name is taken.
     * </pre>
     */
    public dev.tributary.v1.CreateTopicResponse createTopic(dev.tributary.v1.CreateTopicRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateTopicMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deletes a topic and all its data.
     * </pre>
     */
    public dev.tributary.v1.DeleteTopicResponse deleteTopic(dev.tributary.v1.DeleteTopicRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteTopicMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists topics.
     * </pre>
     */
    public dev.tributary.v1.ListTopicsResponse listTopics(dev.tributary.v1.ListTopicsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListTopicsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Describes a topic: its effective config and each partition's offsets and size.
     * </pre>
     */
    public dev.tributary.v1.DescribeTopicResponse describeTopic(dev.tributary.v1.DescribeTopicRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDescribeTopicMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Raises a topic's partition count. Existing keys may map to other partitions
     * afterwards, as in Kafka.
     * </pre>
     */
    public dev.tributary.v1.CreatePartitionsResponse createPartitions(dev.tributary.v1.CreatePartitionsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreatePartitionsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Changes a topic's config: the fields set in `config` replace the current
     * ones, the rest stay.
     * </pre>
     */
    public dev.tributary.v1.UpdateTopicConfigResponse updateTopicConfig(dev.tributary.v1.UpdateTopicConfigRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getUpdateTopicConfigMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Finds the offset for a timestamp, or the earliest or latest offset.
     * </pre>
     */
    public dev.tributary.v1.ListOffsetsResponse listOffsets(dev.tributary.v1.ListOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListOffsetsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deletes every record below an offset by advancing the log start offset.
     * </pre>
     */
    public dev.tributary.v1.DeleteRecordsResponse deleteRecords(dev.tributary.v1.DeleteRecordsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteRecordsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Describes the cluster: its brokers.
     * </pre>
     */
    public dev.tributary.v1.DescribeClusterResponse describeCluster(dev.tributary.v1.DescribeClusterRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDescribeClusterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists consumer groups.
     * </pre>
     */
    public dev.tributary.v1.ListGroupsResponse listGroups(dev.tributary.v1.ListGroupsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListGroupsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Describes a consumer group: members, assignment, offsets and lag.
     * </pre>
     */
    public dev.tributary.v1.DescribeGroupResponse describeGroup(dev.tributary.v1.DescribeGroupRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDescribeGroupMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Moves a group's committed offsets; only while the group has no members.
     * </pre>
     */
    public dev.tributary.v1.ResetGroupOffsetsResponse resetGroupOffsets(dev.tributary.v1.ResetGroupOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getResetGroupOffsetsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deletes a consumer group and its offsets; only while it has no members.
     * </pre>
     */
    public dev.tributary.v1.DeleteGroupResponse deleteGroup(dev.tributary.v1.DeleteGroupRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteGroupMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Where a group's coordinator is: the broker leading the group's partition of
     * __consumer_offsets. A single broker names itself. UNAVAILABLE with
     * COORDINATOR_NOT_AVAILABLE while that partition has no leader (or the offsets
     * topic cannot be created yet).
     * </pre>
     */
    public dev.tributary.v1.FindCoordinatorResponse findCoordinator(dev.tributary.v1.FindCoordinatorRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getFindCoordinatorMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the allow rules. In cluster mode they live in etcd and are the same on
     * every broker; a single broker reads them from its config file.
     * </pre>
     */
    public dev.tributary.v1.ListAclsResponse listAcls(dev.tributary.v1.ListAclsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListAclsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Adds allow rules (a rule already present is kept once). Cluster mode only; a
     * single broker answers FAILED_PRECONDITION/SECURITY_CONFIG_READ_ONLY.
     * </pre>
     */
    public dev.tributary.v1.CreateAclsResponse createAcls(dev.tributary.v1.CreateAclsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateAclsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Removes the rules equal to the given ones. Cluster mode only.
     * </pre>
     */
    public dev.tributary.v1.DeleteAclsResponse deleteAcls(dev.tributary.v1.DeleteAclsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteAclsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the bearer tokens: principal and SHA-256, never the token text.
     * </pre>
     */
    public dev.tributary.v1.ListTokensResponse listTokens(dev.tributary.v1.ListTokensRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListTokensMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Adds a bearer token for a principal. Cluster mode only.
     * </pre>
     */
    public dev.tributary.v1.CreateTokenResponse createToken(dev.tributary.v1.CreateTokenRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateTokenMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Removes bearer tokens. Cluster mode only.
     * </pre>
     */
    public dev.tributary.v1.DeleteTokenResponse deleteToken(dev.tributary.v1.DeleteTokenRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteTokenMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the per-principal byte-rate quotas.
     * </pre>
     */
    public dev.tributary.v1.ListQuotasResponse listQuotas(dev.tributary.v1.ListQuotasRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListQuotasMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Sets (replaces) one principal's quota. Cluster mode only.
     * </pre>
     */
    public dev.tributary.v1.SetQuotaResponse setQuota(dev.tributary.v1.SetQuotaRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSetQuotaMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Removes one principal's quota. Cluster mode only.
     * </pre>
     */
    public dev.tributary.v1.DeleteQuotaResponse deleteQuota(dev.tributary.v1.DeleteQuotaRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteQuotaMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * Topics, offsets, groups and the cluster, for operators and tools.
   * </pre>
   */
  public static final class AdminServiceFutureStub extends io.grpc.stub.AbstractFutureStub<AdminServiceFutureStub> {
    private AdminServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a topic. ALREADY_EXISTS when the name is taken.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.CreateTopicResponse> createTopic(
        dev.tributary.v1.CreateTopicRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateTopicMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Deletes a topic and all its data.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.DeleteTopicResponse> deleteTopic(
        dev.tributary.v1.DeleteTopicRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteTopicMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists topics.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.ListTopicsResponse> listTopics(
        dev.tributary.v1.ListTopicsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListTopicsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Describes a topic: its effective config and each partition's offsets and size.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.DescribeTopicResponse> describeTopic(
        dev.tributary.v1.DescribeTopicRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDescribeTopicMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Raises a topic's partition count. Existing keys may map to other partitions
     * afterwards, as in Kafka.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.CreatePartitionsResponse> createPartitions(
        dev.tributary.v1.CreatePartitionsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreatePartitionsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Changes a topic's config: the fields set in `config` replace the current
     * ones, the rest stay.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.UpdateTopicConfigResponse> updateTopicConfig(
        dev.tributary.v1.UpdateTopicConfigRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getUpdateTopicConfigMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Finds the offset for a timestamp, or the earliest or latest offset.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.ListOffsetsResponse> listOffsets(
        dev.tributary.v1.ListOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListOffsetsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Deletes every record below an offset by advancing the log start offset.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.DeleteRecordsResponse> deleteRecords(
        dev.tributary.v1.DeleteRecordsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteRecordsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Describes the cluster: its brokers.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.DescribeClusterResponse> describeCluster(
        dev.tributary.v1.DescribeClusterRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDescribeClusterMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists consumer groups.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.ListGroupsResponse> listGroups(
        dev.tributary.v1.ListGroupsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListGroupsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Describes a consumer group: members, assignment, offsets and lag.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.DescribeGroupResponse> describeGroup(
        dev.tributary.v1.DescribeGroupRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDescribeGroupMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Moves a group's committed offsets; only while the group has no members.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.ResetGroupOffsetsResponse> resetGroupOffsets(
        dev.tributary.v1.ResetGroupOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getResetGroupOffsetsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Deletes a consumer group and its offsets; only while it has no members.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.DeleteGroupResponse> deleteGroup(
        dev.tributary.v1.DeleteGroupRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteGroupMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Where a group's coordinator is: the broker leading the group's partition of
     * __consumer_offsets. A single broker names itself. UNAVAILABLE with
     * COORDINATOR_NOT_AVAILABLE while that partition has no leader (or the offsets
     * topic cannot be created yet).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.FindCoordinatorResponse> findCoordinator(
        dev.tributary.v1.FindCoordinatorRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getFindCoordinatorMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists the allow rules. In cluster mode they live in etcd and are the same on
     * every broker; a single broker reads them from its config file.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.ListAclsResponse> listAcls(
        dev.tributary.v1.ListAclsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListAclsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Adds allow rules (a rule already present is kept once). Cluster mode only; a
     * single broker answers FAILED_PRECONDITION/SECURITY_CONFIG_READ_ONLY.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.CreateAclsResponse> createAcls(
        dev.tributary.v1.CreateAclsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateAclsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Removes the rules equal to the given ones. Cluster mode only.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.DeleteAclsResponse> deleteAcls(
        dev.tributary.v1.DeleteAclsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteAclsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists the bearer tokens: principal and SHA-256, never the token text.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.ListTokensResponse> listTokens(
        dev.tributary.v1.ListTokensRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListTokensMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Adds a bearer token for a principal. Cluster mode only.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.CreateTokenResponse> createToken(
        dev.tributary.v1.CreateTokenRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateTokenMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Removes bearer tokens. Cluster mode only.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.DeleteTokenResponse> deleteToken(
        dev.tributary.v1.DeleteTokenRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteTokenMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists the per-principal byte-rate quotas.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.ListQuotasResponse> listQuotas(
        dev.tributary.v1.ListQuotasRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListQuotasMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Sets (replaces) one principal's quota. Cluster mode only.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.SetQuotaResponse> setQuota(
        dev.tributary.v1.SetQuotaRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSetQuotaMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Removes one principal's quota. Cluster mode only.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.DeleteQuotaResponse> deleteQuota(
        dev.tributary.v1.DeleteQuotaRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteQuotaMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CREATE_TOPIC = 0;
  private static final int METHODID_DELETE_TOPIC = 1;
  private static final int METHODID_LIST_TOPICS = 2;
  private static final int METHODID_DESCRIBE_TOPIC = 3;
  private static final int METHODID_CREATE_PARTITIONS = 4;
  private static final int METHODID_UPDATE_TOPIC_CONFIG = 5;
  private static final int METHODID_LIST_OFFSETS = 6;
  private static final int METHODID_DELETE_RECORDS = 7;
  private static final int METHODID_DESCRIBE_CLUSTER = 8;
  private static final int METHODID_LIST_GROUPS = 9;
  private static final int METHODID_DESCRIBE_GROUP = 10;
  private static final int METHODID_RESET_GROUP_OFFSETS = 11;
  private static final int METHODID_DELETE_GROUP = 12;
  private static final int METHODID_FIND_COORDINATOR = 13;
  private static final int METHODID_LIST_ACLS = 14;
  private static final int METHODID_CREATE_ACLS = 15;
  private static final int METHODID_DELETE_ACLS = 16;
  private static final int METHODID_LIST_TOKENS = 17;
  private static final int METHODID_CREATE_TOKEN = 18;
  private static final int METHODID_DELETE_TOKEN = 19;
  private static final int METHODID_LIST_QUOTAS = 20;
  private static final int METHODID_SET_QUOTA = 21;
  private static final int METHODID_DELETE_QUOTA = 22;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AdminServiceImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(AdminServiceImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CREATE_TOPIC:
          serviceImpl.createTopic((dev.tributary.v1.CreateTopicRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.CreateTopicResponse>) responseObserver);
          break;
        case METHODID_DELETE_TOPIC:
          serviceImpl.deleteTopic((dev.tributary.v1.DeleteTopicRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteTopicResponse>) responseObserver);
          break;
        case METHODID_LIST_TOPICS:
          serviceImpl.listTopics((dev.tributary.v1.ListTopicsRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.ListTopicsResponse>) responseObserver);
          break;
        case METHODID_DESCRIBE_TOPIC:
          serviceImpl.describeTopic((dev.tributary.v1.DescribeTopicRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.DescribeTopicResponse>) responseObserver);
          break;
        case METHODID_CREATE_PARTITIONS:
          serviceImpl.createPartitions((dev.tributary.v1.CreatePartitionsRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.CreatePartitionsResponse>) responseObserver);
          break;
        case METHODID_UPDATE_TOPIC_CONFIG:
          serviceImpl.updateTopicConfig((dev.tributary.v1.UpdateTopicConfigRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.UpdateTopicConfigResponse>) responseObserver);
          break;
        case METHODID_LIST_OFFSETS:
          serviceImpl.listOffsets((dev.tributary.v1.ListOffsetsRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.ListOffsetsResponse>) responseObserver);
          break;
        case METHODID_DELETE_RECORDS:
          serviceImpl.deleteRecords((dev.tributary.v1.DeleteRecordsRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteRecordsResponse>) responseObserver);
          break;
        case METHODID_DESCRIBE_CLUSTER:
          serviceImpl.describeCluster((dev.tributary.v1.DescribeClusterRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.DescribeClusterResponse>) responseObserver);
          break;
        case METHODID_LIST_GROUPS:
          serviceImpl.listGroups((dev.tributary.v1.ListGroupsRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.ListGroupsResponse>) responseObserver);
          break;
        case METHODID_DESCRIBE_GROUP:
          serviceImpl.describeGroup((dev.tributary.v1.DescribeGroupRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.DescribeGroupResponse>) responseObserver);
          break;
        case METHODID_RESET_GROUP_OFFSETS:
          serviceImpl.resetGroupOffsets((dev.tributary.v1.ResetGroupOffsetsRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.ResetGroupOffsetsResponse>) responseObserver);
          break;
        case METHODID_DELETE_GROUP:
          serviceImpl.deleteGroup((dev.tributary.v1.DeleteGroupRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteGroupResponse>) responseObserver);
          break;
        case METHODID_FIND_COORDINATOR:
          serviceImpl.findCoordinator((dev.tributary.v1.FindCoordinatorRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.FindCoordinatorResponse>) responseObserver);
          break;
        case METHODID_LIST_ACLS:
          serviceImpl.listAcls((dev.tributary.v1.ListAclsRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.ListAclsResponse>) responseObserver);
          break;
        case METHODID_CREATE_ACLS:
          serviceImpl.createAcls((dev.tributary.v1.CreateAclsRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.CreateAclsResponse>) responseObserver);
          break;
        case METHODID_DELETE_ACLS:
          serviceImpl.deleteAcls((dev.tributary.v1.DeleteAclsRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteAclsResponse>) responseObserver);
          break;
        case METHODID_LIST_TOKENS:
          serviceImpl.listTokens((dev.tributary.v1.ListTokensRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.ListTokensResponse>) responseObserver);
          break;
        case METHODID_CREATE_TOKEN:
          serviceImpl.createToken((dev.tributary.v1.CreateTokenRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.CreateTokenResponse>) responseObserver);
          break;
        case METHODID_DELETE_TOKEN:
          serviceImpl.deleteToken((dev.tributary.v1.DeleteTokenRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteTokenResponse>) responseObserver);
          break;
        case METHODID_LIST_QUOTAS:
          serviceImpl.listQuotas((dev.tributary.v1.ListQuotasRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.ListQuotasResponse>) responseObserver);
          break;
        case METHODID_SET_QUOTA:
          serviceImpl.setQuota((dev.tributary.v1.SetQuotaRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.SetQuotaResponse>) responseObserver);
          break;
        case METHODID_DELETE_QUOTA:
          serviceImpl.deleteQuota((dev.tributary.v1.DeleteQuotaRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.DeleteQuotaResponse>) responseObserver);
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

  private static abstract class AdminServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    AdminServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.tributary.v1.AdminProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("AdminService");
    }
  }

  private static final class AdminServiceFileDescriptorSupplier
      extends AdminServiceBaseDescriptorSupplier {
    AdminServiceFileDescriptorSupplier() {}
  }

  private static final class AdminServiceMethodDescriptorSupplier
      extends AdminServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    AdminServiceMethodDescriptorSupplier(String methodName) {
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
      synchronized (AdminServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new AdminServiceFileDescriptorSupplier())
              .addMethod(getCreateTopicMethod())
              .addMethod(getDeleteTopicMethod())
              .addMethod(getListTopicsMethod())
              .addMethod(getDescribeTopicMethod())
              .addMethod(getCreatePartitionsMethod())
              .addMethod(getUpdateTopicConfigMethod())
              .addMethod(getListOffsetsMethod())
              .addMethod(getDeleteRecordsMethod())
              .addMethod(getDescribeClusterMethod())
              .addMethod(getListGroupsMethod())
              .addMethod(getDescribeGroupMethod())
              .addMethod(getResetGroupOffsetsMethod())
              .addMethod(getDeleteGroupMethod())
              .addMethod(getFindCoordinatorMethod())
              .addMethod(getListAclsMethod())
              .addMethod(getCreateAclsMethod())
              .addMethod(getDeleteAclsMethod())
              .addMethod(getListTokensMethod())
              .addMethod(getCreateTokenMethod())
              .addMethod(getDeleteTokenMethod())
              .addMethod(getListQuotasMethod())
              .addMethod(getSetQuotaMethod())
              .addMethod(getDeleteQuotaMethod())
              .build();
        }
      }
    }
    return result;
  }
}
